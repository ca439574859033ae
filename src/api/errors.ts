/**
 * Business errors with names. Routes and verifiers throw these; the error middleware in app.ts maps the
 * name to an HTTP status and answers `{ error: { name, message } }` with no internals.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}
/** The request's signature or token did not verify. Always 401 (never 409: Jira retries 409). */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
}
/** Missing or wrong API bearer token. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
}
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}
/** A dependency (Temporal, the database) is unreachable; the provider should retry. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}
/** Body larger than the limit. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}

/** Jira refused the fields of a new issue: 400 with Jira's own field errors, so the caller can fix them. */
export class JiraFieldErrors extends Error {
  override readonly name = 'JiraFieldErrors';
  constructor(
    message: string,
    readonly fields: { readonly fieldErrors: Record<string, string>; readonly errorMessages: string[] }
  ) {
    super(message);
  }
}

/** Extra members an error adds to its body (`{ error: { name, message, ...extra } }`). */
export function errorExtra(err: unknown): Record<string, unknown> {
  return err instanceof JiraFieldErrors ? { ...err.fields } : {};
}

export const STATUS_BY_ERROR_NAME: Readonly<Record<string, number>> = {
  InputError: 400,
  JiraFieldErrors: 400,
  SignatureError: 401,
  AuthError: 401,
  NotFoundError: 404,
  ConflictError: 409,
  PayloadTooLargeError: 413,
  UnavailableError: 503,
};

/** Socket errors of a connection to Postgres (or Redis) that could not be made or was lost. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs of a server going away or full: admin/crash shutdown, starting up, too many connections. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53000']);

/** What pg and knex say, without a code, when a connection is lost or none can be had from the pool. */
const UNAVAILABLE_MESSAGES = [
  /Timeout acquiring a connection/,
  // knex prefixes the statement to the driver's message ("insert into … - Connection terminated unexpectedly").
  /Connection terminated/,
  /Connection is not queryable|is not queryable/,
];

/**
 * Why the database is unreachable, when `err` (or one of its causes, or one of an AggregateError's errors) says
 * so: a socket error code, an SQLSTATE of class 08 (connection exception) or of a server that is shutting down,
 * starting or full, or knex's pool timeout. Undefined for anything else (a bad statement is a bug, not an
 * outage). The result is a code or a short label, never the message (knex puts the SQL into messages).
 */
export function databaseUnavailableCode(err: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (CONNECTION_ERROR_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.has(e.code)) return e.code;
    if (/^08[0-9A-Z]{3}$/.test(e.code)) return e.code;
  }
  if (e.name === 'KnexTimeoutError') return 'pool timeout';
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string)))
    return 'connection lost';
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = databaseUnavailableCode(inner, depth + 1);
      if (code) return code;
    }
  }
  return databaseUnavailableCode(e.cause, depth + 1);
}

/** The JSON error of a request the body parser (raw-body, body-parser) refused, before any route saw it. */
export interface BodyReadError {
  readonly status: number;
  readonly name: string;
  readonly message: string;
}

/**
 * A body-parser / raw-body refusal (an http-errors error: `expose` and a 4xx `status`) → the answer to give:
 * 413 too large, 415 unsupported content encoding or charset (`Content-Encoding: compress`), 400 a corrupt
 * gzip/deflate body, invalid JSON, an aborted or short body. Messages are fixed texts (zlib's and JSON.parse's
 * say nothing the client needs). Undefined for anything else.
 */
export function bodyReadError(err: unknown, limit = '1 MiB'): BodyReadError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; type?: unknown; code?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (e.expose !== true || typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const type = typeof e.type === 'string' ? e.type : undefined;
  if (status === 413 || type === 'entity.too.large')
    return { status: 413, name: 'PayloadTooLargeError', message: `body larger than ${limit}` };
  if (status === 415) {
    const message = type === 'charset.unsupported' ? 'unsupported charset' : 'unsupported content encoding';
    return { status: 415, name: 'UnsupportedMediaTypeError', message };
  }
  if (status !== 400) return { status, name: 'InputError', message: 'request refused' };
  const message =
    type === 'entity.parse.failed'
      ? 'body is not valid JSON'
      : type === 'request.aborted'
        ? 'request aborted'
        : type === 'request.size.invalid'
          ? 'body length does not match Content-Length'
          : typeof e.code === 'string' && e.code.startsWith('Z_')
            ? 'body could not be decoded (Content-Encoding)'
            : 'body could not be read';
  return { status: 400, name: 'InputError', message };
}
