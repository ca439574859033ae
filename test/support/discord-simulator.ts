/**
 * A Discord REST simulator for tests: a real HTTP server on 127.0.0.1 that speaks the paths our client
 * calls, answers the way Discord does (status codes, error JSON, nonce dedupe), records every call, and
 * injects faults (`failNext`) or stalls (`holdNext`: Discord acted, but the answer never arrives, as when
 * a worker dies mid-request).
 *
 * Routes, under `/api/v10`:
 * - `POST  /channels/{channel}/messages`                 (bot)  create; `nonce` + `enforce_nonce` dedupe
 * - `GET   /channels/{channel}/messages/{message}`       (bot)
 * - `PATCH /channels/{channel}/messages/{message}`       (bot)  404 code 10008 when unknown
 * - `PATCH /webhooks/{app}/{token}/messages/@original`   (no auth) edit the interaction's original message
 * - `POST  /webhooks/{app}/{token}`                      (no auth) interaction follow-up
 */
import type { SimRequest, SimResponse } from './sim-core';
import { startSimServer } from './sim-core';

export type { SimResponse } from './sim-core';

export const API_PREFIX = '/api/v10';
const DISCORD_EPOCH = 1_420_070_400_000n;

export type SimRoute = 'createMessage' | 'getMessage' | 'editMessage' | 'editOriginal' | 'createFollowup' | 'unknown';

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

export interface SimMessage {
  id: string;
  channel_id: string;
  type: 0;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  nonce?: string | number;
  message_reference?: unknown;
  timestamp: string;
  edited_timestamp: string | null;
  author: { id: string; username: string; bot: true };
}

export interface SimInteraction {
  applicationId: string | null;
  token: string;
  /** The channel message `@original` stands for, when seeded; edits then change that message. */
  originalRef: { channelId: string; messageId: string } | null;
  /** The original as last edited through `@original` (the channel message itself when seeded). */
  original: SimMessage | null;
  /** Every `@original` PATCH body, in order. */
  originalEdits: unknown[];
  followups: SimMessage[];
  expired: boolean;
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

const errors = {
  unauthorized: { status: 401, body: { message: '401: Unauthorized', code: 0 } },
  notFound: { status: 404, body: { message: '404: Not Found', code: 0 } },
  unknownMessage: { status: 404, body: { message: 'Unknown Message', code: 10008 } },
  unknownWebhook: { status: 404, body: { message: 'Unknown Webhook', code: 10015 } },
  invalidWebhookToken: { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } },
  emptyMessage: { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } },
  invalidJson: { status: 400, body: { message: 'The request body contains invalid JSON.', code: 50109 } },
  badNonce: {
    status: 400,
    body: {
      message: 'Invalid Form Body',
      code: 50035,
      errors: { nonce: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }] } },
    },
  },
} as const satisfies Record<string, SimResponse>;

/** Starts a simulator that accepts the given bot tokens (`Authorization: Bot <token>`). */
export async function startDiscordSimulator(options: { botTokens: readonly string[] }): Promise<DiscordSimulator> {
  const botTokens = new Set(options.botTokens);
  const channels = new Map<string, SimMessage[]>();
  const nonces = new Map<string, Map<string, string>>();
  const interactions = new Map<string, SimInteraction>();
  let sequence = 0n;

  const snowflake = (): string => (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (sequence++ & 0x3fffffn)).toString();
  const channel = (id: string): SimMessage[] => {
    const list = channels.get(id) ?? [];
    channels.set(id, list);
    return list;
  };
  const findMessage = (channelId: string, id: string): SimMessage | undefined =>
    channels.get(channelId)?.find((m) => m.id === id);

  function newMessage(channelId: string, id: string, body: Record<string, unknown>): SimMessage {
    const message: SimMessage = {
      id,
      channel_id: channelId,
      type: 0,
      content: '',
      embeds: [],
      components: [],
      flags: 0,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      author: { id: '1000000000000000001', username: 'issue-sync', bot: true },
    };
    applyEdit(message, body);
    message.edited_timestamp = null;
    if (typeof body.nonce === 'string' || typeof body.nonce === 'number') message.nonce = body.nonce;
    if (body.message_reference !== undefined) message.message_reference = body.message_reference;
    return message;
  }

  function interactionFor(token: string): SimInteraction {
    const existing = interactions.get(token);
    if (existing) return existing;
    const created: SimInteraction = {
      applicationId: null,
      token,
      originalRef: null,
      original: null,
      originalEdits: [],
      followups: [],
      expired: false,
    };
    interactions.set(token, created);
    return created;
  }

  function authorized(call: RecordedCall): boolean {
    const header = call.headers.authorization ?? '';
    return header.startsWith('Bot ') && botTokens.has(header.slice(4));
  }

  function createMessage(channelId: string, body: Record<string, unknown>): SimResponse {
    const nonce = body.nonce;
    if (typeof nonce === 'string' && nonce.length > 25) return errors.badNonce;
    if (!hasContent(body)) return errors.emptyMessage;
    const byNonce = nonces.get(channelId) ?? new Map<string, string>();
    nonces.set(channelId, byNonce);
    const nonceKey = typeof nonce === 'string' || typeof nonce === 'number' ? String(nonce) : undefined;
    const previous = nonceKey !== undefined && body.enforce_nonce === true ? byNonce.get(nonceKey) : undefined;
    const existing = previous !== undefined ? findMessage(channelId, previous) : undefined;
    if (existing) return { status: 200, body: existing };
    const message = newMessage(channelId, snowflake(), body);
    channel(channelId).push(message);
    if (nonceKey !== undefined) byNonce.set(nonceKey, message.id);
    return { status: 200, body: message };
  }

  function editMessage(channelId: string, messageId: string, body: Record<string, unknown>): SimResponse {
    const message = findMessage(channelId, messageId);
    if (!message) return errors.unknownMessage;
    applyEdit(message, body);
    return { status: 200, body: message };
  }

  function webhook(appId: string, token: string): SimInteraction | SimResponse {
    const interaction = interactionFor(token);
    if (interaction.applicationId !== null && interaction.applicationId !== appId) return errors.unknownWebhook;
    if (interaction.expired) return errors.invalidWebhookToken;
    return interaction;
  }

  function editOriginal(appId: string, token: string, body: Record<string, unknown>): SimResponse {
    const interaction = webhook(appId, token);
    if ('status' in interaction) return interaction;
    interaction.originalEdits.push(body);
    const ref = interaction.originalRef;
    if (ref) {
      const reply = editMessage(ref.channelId, ref.messageId, body);
      if (reply.status === 200) interaction.original = reply.body as SimMessage;
      return reply;
    }
    interaction.original ??= newMessage('0', snowflake(), {});
    applyEdit(interaction.original, body);
    return { status: 200, body: interaction.original };
  }

  function createFollowup(appId: string, token: string, body: Record<string, unknown>): SimResponse {
    const interaction = webhook(appId, token);
    if ('status' in interaction) return interaction;
    if (!hasContent(body)) return errors.emptyMessage;
    const message = newMessage(interaction.originalRef?.channelId ?? '0', snowflake(), body);
    interaction.followups.push(message);
    return { status: 200, body: message };
  }

  function dispatch(call: RecordedCall, params: string[], invalidJson: boolean): SimResponse {
    if (BOT_ROUTES.has(call.route) && !authorized(call)) return errors.unauthorized;
    if (invalidJson) return errors.invalidJson;
    const body = isRecord(call.body) ? call.body : {};
    const [a = '', b = ''] = params;
    switch (call.route) {
      case 'createMessage':
        return createMessage(a, body);
      case 'getMessage': {
        const message = findMessage(a, b);
        return message ? { status: 200, body: message } : errors.unknownMessage;
      }
      case 'editMessage':
        return editMessage(a, b, body);
      case 'editOriginal':
        return editOriginal(a, b, body);
      case 'createFollowup':
        return createFollowup(a, b, body);
      case 'unknown':
        return errors.notFound;
    }
  }

  type Call = { -readonly [K in keyof RecordedCall]: RecordedCall[K] } & { params: string[] };
  const sim = await startSimServer<Call>({
    prefix: API_PREFIX,
    record(req: SimRequest): Call {
      const api = new URL(req.url, 'http://local').pathname.startsWith(API_PREFIX);
      const { route, params } = matchRoute(req.method, api ? req.path : '');
      const body = req.body === undefined ? null : req.body;
      const call = { method: req.method, path: req.path, url: req.url, route, headers: req.headers, body };
      return Object.defineProperty({ ...call, status: 0, injected: false, held: false }, 'params', {
        value: params,
        enumerable: false,
      }) as Call;
    },
    handle: (req, call) => dispatch(call, call.params, req.invalidJson),
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
    messages: (channelId) => structuredClone(channels.get(channelId) ?? []),
    seedMessage(channelId, messageId, body = {}) {
      const message = newMessage(channelId, messageId, body);
      const list = channel(channelId).filter((m) => m.id !== messageId);
      channels.set(channelId, [...list, message]);
      return structuredClone(message);
    },
    seedInteraction(token, ref) {
      const interaction = interactionFor(token);
      interaction.applicationId = ref.applicationId ?? null;
      if (ref.channelId !== undefined && ref.messageId !== undefined) {
        interaction.originalRef = { channelId: ref.channelId, messageId: ref.messageId };
      }
    },
    interaction: (token) => {
      const found = interactions.get(token);
      return found ? structuredClone(found) : undefined;
    },
    expireInteraction(token) {
      interactionFor(token).expired = true;
    },
    failNext: (n, response, match = () => true) => sim.failNext(match, n, response),
    holdNext: (predicate) => sim.holdNext(predicate),
    releaseAll,
    reset() {
      sim.reset();
      channels.clear();
      nonces.clear();
      interactions.clear();
    },
    async close() {
      releaseAll();
      await sim.close();
    },
  };
}

/** Routes that need `Authorization: Bot <token>`; interaction webhooks carry their token in the path. */
const BOT_ROUTES: ReadonlySet<SimRoute> = new Set(['createMessage', 'getMessage', 'editMessage']);

function matchRoute(method: string, path: string): { route: SimRoute; params: string[] } {
  const table: Array<[string, RegExp, SimRoute]> = [
    ['POST', /^\/channels\/([^/]+)\/messages$/, 'createMessage'],
    ['GET', /^\/channels\/([^/]+)\/messages\/([^/]+)$/, 'getMessage'],
    ['PATCH', /^\/channels\/([^/]+)\/messages\/([^/]+)$/, 'editMessage'],
    ['PATCH', /^\/webhooks\/([^/]+)\/([^/]+)\/messages\/@original$/, 'editOriginal'],
    ['POST', /^\/webhooks\/([^/]+)\/([^/]+)$/, 'createFollowup'],
  ];
  for (const [m, pattern, route] of table) {
    const found = method === m ? pattern.exec(path) : null;
    if (found) return { route, params: found.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return { route: 'unknown', params: [] };
}

/** PATCH semantics: a present field replaces, `null` clears, an absent one stays. */
function applyEdit(message: SimMessage, body: Record<string, unknown>): void {
  if ('content' in body) message.content = typeof body.content === 'string' ? body.content : '';
  if ('embeds' in body) message.embeds = Array.isArray(body.embeds) ? structuredClone(body.embeds) : [];
  if ('components' in body) message.components = Array.isArray(body.components) ? structuredClone(body.components) : [];
  if ('flags' in body) message.flags = typeof body.flags === 'number' ? body.flags : 0;
  message.edited_timestamp = new Date().toISOString();
}

function hasContent(body: Record<string, unknown>): boolean {
  const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
  return (
    (typeof body.content === 'string' && body.content !== '') || nonEmpty(body.embeds) || nonEmpty(body.components)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
