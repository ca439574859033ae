/**
 * Minimal JSON-over-HTTP helper shared by the provider clients (Jira, Discord, Teams). No Temporal imports:
 * clients throw HttpError / NetworkError / UnexpectedBodyError / InvalidRequestError, and the activities map them
 * with failures.ts.
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

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly timeoutMs: number;
  /** For error messages and metrics: the system and a short name of the call (no ids that are secrets). */
  readonly system: string;
  readonly what: string;
}

export interface HttpResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** Sends one request; resolves on 2xx with the parsed body (null when empty), rejects otherwise. */
export async function requestJson<T>(req: HttpRequest): Promise<HttpResponse<T>> {
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
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    // Checked by name: fetch's DOMException is not `instanceof Error` in every realm (jest's VM contexts).
    const name = (err as { name?: unknown } | null)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    throw new NetworkError(req.system, req.what, timedOut);
  }
  const text = await res.text().catch(() => '');
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (res.status < 200 || res.status >= 300) {
    throw new HttpError(req.system, req.what, res.status, res.headers.get('retry-after'), body);
  }
  return { status: res.status, body: body as T, headers: res.headers };
}
