/**
 * The shared core of the provider simulators (Jira, Discord, Teams): a real HTTP server on 127.0.0.1
 * (port 0), the raw body read with a size limit and parsed as JSON, every call recorded, and the faults tests
 * inject — N failures with a status and headers (no effect applied), delays, and held answers (the effect is
 * applied but the answer withheld until `releaseAll()` or the client goes away, as when a worker dies
 * mid-request), plus routing by method + path pattern (`route`, `matchRoute`). Each simulator keeps its own call
 * record shape and route table; the core owns the plumbing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a simulator's routes see it. `path` is relative to the simulator's prefix. */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  /** The request target as received (prefix and query included). */
  readonly url: string;
  readonly query: URLSearchParams;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body; null when it was larger than the limit. */
  readonly raw: string | null;
  /** Parsed JSON; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
  readonly invalidJson: boolean;
}

export interface SimResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** An object is sent as JSON, a string as is. */
  readonly body?: unknown;
}

/** How an answer went out: handled, injected by `failNext` (no effect), or held by `holdNext` (effect applied). */
export type AnswerKind = 'handled' | 'injected' | 'held' | 'released';

export interface SimServerOptions<C> {
  /** Path prefix stripped from `path` (e.g. `/api/v10`, a Jira context path). */
  readonly prefix?: string;
  readonly maxBodyBytes?: number;
  /** JSON content type of answers (Jira adds `;charset=UTF-8`). */
  readonly contentType?: string;
  /** The call record for a request; it is appended to `calls` at once. */
  record(req: SimRequest): C;
  /** Checks that answer before any fault (e.g. a bad token, a body too large); undefined to go on. */
  preflight?(req: SimRequest, call: C): SimResponse | undefined;
  /** The simulator's routes: apply the effect and answer. A throw becomes a 500. */
  handle(req: SimRequest, call: C): SimResponse;
  /** Told how each call was answered (set `status`, `injected`, `held` on the record). */
  answered?(call: C, response: SimResponse, how: AnswerKind): void;
}

export type Match<C> = (call: C) => boolean;

export interface SimServer<C> {
  /** `http://127.0.0.1:PORT` (without the prefix). */
  readonly origin: string;
  readonly calls: C[];
  /** The next `n` matching calls get `response` and have no effect. */
  failNext(match: Match<C>, n: number, response: SimResponse): void;
  /** The next `n` matching calls wait `ms` before they are handled. */
  delayNext(match: Match<C>, n: number, ms: number): void;
  /** The next `n` matching calls are handled but not answered; `arrived` resolves with the first one held. */
  holdNext(match: Match<C>, n?: number): { arrived: Promise<C> };
  /** Answers every held call with what it would have got. */
  releaseAll(): void;
  /** Releases held calls, forgets calls and pending faults. */
  reset(): void;
  close(): Promise<void>;
}

/** One route of a simulator: a method and an anchored path pattern whose groups become `params`. */
export interface Route<H> {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: H;
}

export const route = <H>(method: string, pattern: RegExp, handler: H): Route<H> => ({ method, pattern, handler });

/** `found` with the URI-decoded groups; `wrongMethod` when another method has this path; else `none`. */
export type RouteMatch<H> =
  | { readonly kind: 'found'; readonly handler: H; readonly params: string[] }
  | { readonly kind: 'wrongMethod' }
  | { readonly kind: 'none' };

/** Routing by method + path pattern, shared by the simulators. */
export function matchRoute<H>(routes: ReadonlyArray<Route<H>>, method: string, path: string): RouteMatch<H> {
  let pathKnown = false;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathKnown = true;
    if (r.method === method) return { kind: 'found', handler: r.handler, params: m.slice(1).map(decodeURIComponent) };
  }
  return pathKnown ? { kind: 'wrongMethod' } : { kind: 'none' };
}

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

type Fault<C> =
  | { kind: 'fail'; match: Match<C>; remaining: number; response: SimResponse }
  | { kind: 'delay'; match: Match<C>; remaining: number; ms: number }
  | { kind: 'hold'; match: Match<C>; remaining: number; arrived: (call: C) => void };

interface Held<C> {
  readonly res: ServerResponse;
  readonly call: C;
  readonly response: SimResponse;
}

function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string | null): { body: unknown; invalidJson: boolean } {
  if (!raw) return { body: undefined, invalidJson: false };
  try {
    return { body: JSON.parse(raw) as unknown, invalidJson: false };
  } catch {
    return { body: raw, invalidJson: true };
  }
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function send(res: ServerResponse, response: SimResponse, contentType: string): void {
  if (res.destroyed || res.writableEnded) return;
  const hasBody = response.body !== undefined && response.status !== 204;
  const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  const type = typeof response.body === 'string' ? 'text/plain' : contentType;
  res.writeHead(response.status, { ...(hasBody ? { 'content-type': type } : {}), ...response.headers });
  res.end(hasBody ? text : undefined);
}

/** Starts a simulator server on 127.0.0.1 with a free port. */
export async function startSimServer<C>(options: SimServerOptions<C>): Promise<SimServer<C>> {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const contentType = options.contentType ?? 'application/json';
  const calls: C[] = [];
  let faults: Array<Fault<C>> = [];
  let held: Array<Held<C>> = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const take = <K extends Fault<C>['kind']>(kind: K, call: C): Extract<Fault<C>, { kind: K }> | undefined => {
    const fault = faults.find((f) => f.kind === kind && f.remaining > 0 && f.match(call));
    if (!fault) return undefined;
    fault.remaining -= 1;
    faults = faults.filter((f) => f.remaining > 0);
    return fault as Extract<Fault<C>, { kind: K }>;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const answer = (res: ServerResponse, call: C, response: SimResponse, how: AnswerKind) => {
    options.answered?.(call, response, how);
    send(res, response, contentType);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const parsedUrl = new URL(url, 'http://local');
    const pathname = parsedUrl.pathname;
    const path = prefix && pathname.startsWith(prefix) ? pathname.slice(prefix.length) || '/' : pathname;
    const raw = await readBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    const request: SimRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      url,
      query: parsedUrl.searchParams,
      headers: headersOf(req),
      raw,
      ...parseJson(raw),
    };
    const call = options.record(request);
    calls.push(call);
    const early = options.preflight?.(request, call);
    if (early) return answer(res, call, early, 'handled');
    const fail = take('fail', call);
    if (fail) return answer(res, call, fail.response, 'injected');
    const delay = take('delay', call);
    if (delay) await sleep(delay.ms);
    if (closed) return;
    let response: SimResponse;
    try {
      // Snapshot now: a held answer must carry the state the provider had when it acted, not later edits.
      response = structuredClone(options.handle(request, call));
    } catch (err) {
      response = { status: 500, body: { message: `simulator error: ${String(err)}` } };
    }
    const hold = take('hold', call);
    if (!hold) return answer(res, call, response, 'handled');
    options.answered?.(call, response, 'held');
    const entry: Held<C> = { res, call, response };
    held.push(entry);
    res.on('close', () => {
      held = held.filter((h) => h !== entry);
    });
    hold.arrived(call);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      send(res, { status: 500, body: { message: `simulator error: ${String(err)}` } }, contentType);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const releaseAll = (): void => {
    const pending = held;
    held = [];
    for (const h of pending) answer(h.res, h.call, h.response, 'released');
  };

  return {
    origin: `http://127.0.0.1:${port}`,
    calls,
    failNext(match, n, response) {
      if (n > 0) faults.push({ kind: 'fail', match, remaining: n, response });
    },
    delayNext(match, n, ms) {
      if (n > 0) faults.push({ kind: 'delay', match, remaining: n, ms });
    },
    holdNext(match, n = 1) {
      let arrived!: (call: C) => void;
      const promise = new Promise<C>((resolve) => (arrived = resolve));
      let first = true;
      faults.push({
        kind: 'hold',
        match,
        remaining: n,
        arrived: (call) => {
          if (first) arrived(call);
          first = false;
        },
      });
      return { arrived: promise };
    },
    releaseAll,
    reset() {
      releaseAll();
      calls.length = 0;
      faults = [];
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const h of held) h.res.destroy();
      held = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
