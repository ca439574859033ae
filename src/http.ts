/**
 * Minimal JSON-over-HTTP helper shared by the provider clients (Jira, Discord, Teams). No Temporal imports:
 * clients throw HttpError / NetworkError / UnexpectedBodyError / ResponseTooLargeError / InvalidRequestError, and the
 * activities map them with failures.ts. Redirects are never followed and bodies are read up to a limit.
 */

/** The provider answered with a non-2xx status. `body` is the parsed JSON (or text) for field errors. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly system: string,
    readonly what: string,
    readonly status: number,
    readonly retryAfter: string | null,
    readonly body: unknown
  ) {
    super(`${system} ${what} answered HTTP ${status}`);
  }
}

/** The request never got an answer (connection refused, reset, or our timeout). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly system: string,
    readonly what: string,
    readonly timedOut: boolean
  ) {
    super(`${system} ${what} ${timedOut ? 'timed out' : 'could not be reached'}`);
  }
}

/**
 * The provider answered 2xx, but the body lacks what the caller needs. Carries field paths only, never values.
 * Asking again would get the same answer, so failures.ts makes it non-retryable (`BadResponse`).
 */
export class UnexpectedBodyError extends Error {
  override readonly name: string = 'UnexpectedBodyError';
  constructor(
    readonly system: string,
    readonly what: string,
    readonly paths: readonly string[]
  ) {
    super(`${system} ${what} answered an unexpected body (${paths.join(', ') || 'root'})`);
  }
}

/**
 * A client refused to send a request the provider would reject (a bad argument, caught before any I/O).
 * Sending it again cannot help, so failures.ts makes it non-retryable (`BadRequest`).
 */
export class InvalidRequestError extends Error {
  override readonly name: string = 'InvalidRequestError';
  constructor(
    readonly system: string,
    readonly what: string,
    problem: string
  ) {
    super(`${system} ${what}: ${problem}`);
  }
}

/**
 * The provider answered 2xx with a body larger than we read ({@link MAX_RESPONSE_BYTES}). Reading was stopped
 * there; asking again would get the same body, so failures.ts makes it non-retryable (`BadResponse`).
 */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
  constructor(
    readonly system: string,
    readonly what: string,
    readonly limitBytes: number
  ) {
    super(`${system} ${what} answered a body larger than ${formatBytes(limitBytes)}; it was not read`);
  }
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/** Bodies larger than this are not read: no provider answer we need comes near it. */
export const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly timeoutMs: number;
  /** For error messages and metrics: the system and a short name of the call (no ids that are secrets). */
  readonly system: string;
  readonly what: string;
  /** Largest body read (default {@link MAX_RESPONSE_BYTES}). */
  readonly maxResponseBytes?: number;
}

export interface HttpResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/**
 * Sends one request; resolves on 2xx with the parsed body (null when empty), rejects otherwise.
 *
 * Redirects are never followed (`redirect: 'manual'`): a 3xx is an HttpError with that status, which
 * failures.ts makes non-retryable, so a provider base URL cannot bounce a signed request (its JWT, its body) to
 * another origin. Bodies are read as a stream and at most `maxResponseBytes` of them: a larger 2xx body is a
 * {@link ResponseTooLargeError}; a larger error body is dropped (the HttpError then carries null).
 */
export async function requestJson<T>(req: HttpRequest): Promise<HttpResponse<T>> {
  const limit = req.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...req.headers,
      },
      body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    throw networkError(req, err);
  }
  const ok = res.status >= 200 && res.status < 300;
  let text: string;
  try {
    text = await readText(res, limit);
  } catch (err) {
    if (!ok) text = '';
    else if (err instanceof BodyTooLarge) throw new ResponseTooLargeError(req.system, req.what, limit);
    else throw networkError(req, err);
  }
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!ok) {
    throw new HttpError(req.system, req.what, res.status, res.headers.get('retry-after'), body);
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

function networkError(req: HttpRequest, err: unknown): NetworkError {
  // Checked by name: fetch's DOMException is not `instanceof Error` in every realm (jest's VM contexts).
  const name = (err as { name?: unknown } | null)?.name;
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  return new NetworkError(req.system, req.what, timedOut);
}

class BodyTooLarge extends Error {}

/** The body as UTF-8 text, reading at most `limit` bytes; beyond that the stream is cancelled and BodyTooLarge thrown. */
async function readText(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = value as Uint8Array;
    size += chunk.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
