/**
 * A Discord REST simulator for tests, on the shared simulator core: a real HTTP server on 127.0.0.1 that speaks
 * the paths our client calls, answers the way Discord does (status codes, error JSON, nonce dedupe), records
 * every call, and injects faults (`failNext`) or stalls (`holdNext`: Discord acted, but the answer never arrives,
 * as when a worker dies mid-request). State and routes are in `discord-sim/store.ts`.
 *
 * Routes, under `/api/v10`:
 * - `POST  /channels/{channel}/messages`                 (bot)  create; `nonce` + `enforce_nonce` dedupe
 * - `GET   /channels/{channel}/messages/{message}`       (bot)
 * - `PATCH /channels/{channel}/messages/{message}`       (bot)  404 code 10008 when unknown
 * - `PATCH /webhooks/{app}/{token}/messages/@original`   (no auth) edit the interaction's original message
 * - `POST  /webhooks/{app}/{token}`                      (no auth) interaction follow-up
 */
import { bodyObject, DISCORD_ROUTES, DiscordStore, errors } from './discord-sim/store';
import type { DiscordHandler, SimInteraction, SimMessage, SimRoute } from './discord-sim/store';
import { matchRoute, startSimServer, type RouteMatch, type SimRequest, type SimResponse } from './sim-core';

export type { SimResponse } from './sim-core';
export type { SimInteraction, SimMessage, SimRoute } from './discord-sim/store';

export const API_PREFIX = '/api/v10';

/** One request as the simulator received it. `status` is what it answered (or will answer, when held). */
export interface RecordedCall {
  readonly method: string;
  /** Path after `/api/v10`, without the query, e.g. `/channels/1/messages`. */
  readonly path: string;
  /** The request target as received, prefix and query included. */
  readonly url: string;
  readonly route: SimRoute;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body; the raw text when it is not JSON; null when empty. */
  readonly body: unknown;
  readonly status: number;
  /** Answered by `failNext` (no effect applied). */
  readonly injected: boolean;
  /** Stalled by `holdNext` (effect applied, answer withheld). */
  readonly held: boolean;
}

export type CallMatcher = (call: RecordedCall) => boolean;

export interface DiscordSimulator {
  /** e.g. `http://127.0.0.1:PORT/api/v10`: pass as DISCORD_API_BASE_URL / `apiBaseUrl`. */
  readonly baseUrl: string;
  /** Every call so far, oldest first (the same array for the simulator's lifetime; reset() empties it). */
  readonly calls: readonly RecordedCall[];
  messages(channelId: string): SimMessage[];
  seedMessage(channelId: string, messageId: string, body?: Partial<SimMessage>): SimMessage;
  /** Ties an interaction token to the channel message its component was on, so `@original` edits it. */
  seedInteraction(token: string, ref: { applicationId?: string; channelId?: string; messageId?: string }): void;
  interaction(token: string): SimInteraction | undefined;
  /** Later calls with this token get Discord's 401 "Invalid Webhook Token" (tokens last 15 minutes). */
  expireInteraction(token: string): void;
  /** The next `n` requests (matching `match`, default all) get `response` and have no effect. */
  failNext(n: number, response: SimResponse, match?: CallMatcher): void;
  /**
   * The next request matching `predicate` is processed (its effect applied) but not answered until the client
   * disconnects or `releaseAll()`. `arrived` resolves when it has been held.
   */
  holdNext(predicate: CallMatcher): { arrived: Promise<RecordedCall> };
  /** Answers every held request with what it would have got. */
  releaseAll(): void;
  reset(): void;
  close(): Promise<void>;
}

/** Discord's 429 for a route bucket: `Retry-After` header (whole seconds) and the JSON body. */
export function rateLimited(retryAfterSeconds: number): SimResponse {
  return {
    status: 429,
    headers: {
      'retry-after': String(Math.ceil(retryAfterSeconds)),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset-after': String(retryAfterSeconds),
      'x-ratelimit-scope': 'user',
    },
    body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false },
  };
}

type Call = { -readonly [K in keyof RecordedCall]: RecordedCall[K] };

/** The route of a request; paths outside `/api/v10` match none. */
function routeOf(req: SimRequest): RouteMatch<DiscordHandler> {
  const underApi = new URL(req.url, 'http://local').pathname.startsWith(API_PREFIX);
  return underApi ? matchRoute(DISCORD_ROUTES, req.method, req.path) : { kind: 'none' };
}

/** Starts a simulator that accepts the given bot tokens (`Authorization: Bot <token>`). */
export async function startDiscordSimulator(options: { botTokens: readonly string[] }): Promise<DiscordSimulator> {
  const botTokens = new Set(options.botTokens);
  const store = new DiscordStore();

  const authorized = (req: SimRequest): boolean => {
    const header = req.headers.authorization ?? '';
    return header.startsWith('Bot ') && botTokens.has(header.slice(4));
  };

  function dispatch(req: SimRequest): SimResponse {
    const found = routeOf(req);
    if (found.kind === 'found' && found.handler.bot && !authorized(req)) return errors.unauthorized;
    if (req.invalidJson) return errors.invalidJson;
    if (found.kind !== 'found') return errors.notFound;
    const [a = '', b = ''] = found.params;
    return found.handler.handle(store, a, b, bodyObject(req.body));
  }

  const sim = await startSimServer<Call>({
    prefix: API_PREFIX,
    record(req): Call {
      const found = routeOf(req);
      const route = found.kind === 'found' ? found.handler.name : 'unknown';
      const body = req.body === undefined ? null : req.body;
      const { method, path, url, headers } = req;
      return { method, path, url, route, headers, body, status: 0, injected: false, held: false };
    },
    handle: (req) => dispatch(req),
    answered(call, response, how) {
      call.status = response.status;
      if (how === 'injected') call.injected = true;
      if (how === 'held') call.held = true;
    },
  });
  const { calls } = sim;
  const releaseAll = (): void => sim.releaseAll();

  return {
    baseUrl: `${sim.origin}${API_PREFIX}`,
    calls,
    messages: (channelId) => structuredClone(store.channels.get(channelId) ?? []),
    seedMessage(channelId, messageId, body = {}) {
      const message = store.newMessage(channelId, messageId, body);
      const list = store.channel(channelId).filter((m) => m.id !== messageId);
      store.channels.set(channelId, [...list, message]);
      return structuredClone(message);
    },
    seedInteraction(token, ref) {
      const interaction = store.interactionFor(token);
      interaction.applicationId = ref.applicationId ?? null;
      if (ref.channelId !== undefined && ref.messageId !== undefined) {
        interaction.originalRef = { channelId: ref.channelId, messageId: ref.messageId };
      }
    },
    interaction: (token) => {
      const found = store.interactions.get(token);
      return found ? structuredClone(found) : undefined;
    },
    expireInteraction(token) {
      store.interactionFor(token).expired = true;
    },
    failNext: (n, response, match = () => true) => sim.failNext(match, n, response),
    holdNext: (predicate) => sim.holdNext(predicate),
    releaseAll,
    reset() {
      sim.reset();
      store.clear();
    },
    async close() {
      releaseAll();
      await sim.close();
    },
  };
}
