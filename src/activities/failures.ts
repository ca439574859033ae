import { ApplicationFailure } from '@temporalio/common';
import { HttpError, InvalidRequestError, NetworkError, ResponseTooLargeError, UnexpectedBodyError } from '../http';

/** Failure types that retry policies and workflows match on. */
export const FailureType = {
  RateLimited: 'RateLimited',
  ServerError: 'ServerError',
  Timeout: 'Timeout',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  BadRequest: 'BadRequest',
  ClientError: 'ClientError',
  /** A 2xx whose body lacks what we need (e.g. JiraResponseError): asking again gets the same answer. */
  BadResponse: 'BadResponse',
  /** A 3xx: redirects are never followed (they could carry a signed request to another origin). */
  Redirect: 'Redirect',
  /** Postgres refused a statement; the reason says `database error (<SQLSTATE>)`, never the SQL or its values. */
  DatabaseError: 'DatabaseError',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

const DEFAULT_RATE_LIMIT_DELAY_MS = 30_000;

const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Parses Retry-After into milliseconds: delta-seconds (integer, or Discord-style fractional) or an HTTP-date
 * (IMF-fixdate). Anything else is unreadable → undefined, so the caller's default applies.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Maps a provider HTTP response to a Temporal failure, the same way for every system:
 * 429 and 503 wait for Retry-After (nextRetryDelay); other 5xx and 408 retry with backoff;
 * other 4xx are non-retryable with a type naming the cause. `what` names the call, never a secret or email.
 */
export function httpFailure(
  system: string,
  what: string,
  status: number,
  retryAfter?: string | null
): ApplicationFailure {
  const message = `${system} ${what} answered HTTP ${status}`;
  if (status === 429 || status === 503) {
    const delay = parseRetryAfter(retryAfter);
    return ApplicationFailure.create({
      message,
      type: status === 429 ? FailureType.RateLimited : FailureType.ServerError,
      nextRetryDelay: delay ?? (status === 429 ? DEFAULT_RATE_LIMIT_DELAY_MS : undefined),
      details: [{ system, status }],
    });
  }
  if (status >= 300 && status < 400) {
    return ApplicationFailure.create({
      message: `${message} (a redirect, not followed)`,
      type: FailureType.Redirect,
      nonRetryable: true,
      details: [{ system, status }],
    });
  }
  if (status >= 500 || status === 408) {
    return ApplicationFailure.retryable(message, status === 408 ? FailureType.Timeout : FailureType.ServerError);
  }
  const type =
    status === 401
      ? FailureType.Unauthorized
      : status === 403
        ? FailureType.Forbidden
        : status === 404
          ? FailureType.NotFound
          : status === 400
            ? FailureType.BadRequest
            : FailureType.ClientError;
  return ApplicationFailure.create({ message, type, nonRetryable: true, details: [{ system, status }] });
}

/** A network error or our own timeout: retryable with backoff. */
export function networkFailure(system: string, what: string, err: unknown): ApplicationFailure {
  const timedOut = err instanceof NetworkError ? err.timedOut : err instanceof Error && err.name === 'TimeoutError';
  const reason = timedOut ? 'timed out' : 'could not be reached';
  return ApplicationFailure.retryable(`${system} ${what} ${reason}`, FailureType.Timeout);
}

/**
 * Maps whatever a provider client threw to the failure a retry policy understands. A body of the wrong shape or
 * too large (`BadResponse`) and a request the client refused to send (`BadRequest`, e.g. DiscordNonceError) are
 * non-retryable: a retry would meet the same answer. A Postgres error becomes {@link databaseFailure} (no SQL
 * text). Anything else passes through unchanged.
 */
export function toFailure(err: unknown): unknown {
  if (err instanceof HttpError) return httpFailure(err.system, err.what, err.status, err.retryAfter);
  if (err instanceof NetworkError) return networkFailure(err.system, err.what, err);
  if (err instanceof UnexpectedBodyError) {
    const details = [{ system: err.system, what: err.what, paths: err.paths }];
    return ApplicationFailure.create({
      message: err.message,
      type: FailureType.BadResponse,
      nonRetryable: true,
      details,
    });
  }
  if (err instanceof ResponseTooLargeError) {
    const details = [{ system: err.system, what: err.what, limitBytes: err.limitBytes }];
    return ApplicationFailure.create({
      message: err.message,
      type: FailureType.BadResponse,
      nonRetryable: true,
      details,
    });
  }
  if (err instanceof InvalidRequestError) {
    const details = [{ system: err.system, what: err.what }];
    return ApplicationFailure.create({
      message: err.message,
      type: FailureType.BadRequest,
      nonRetryable: true,
      details,
    });
  }
  const db = databaseFailure(err);
  if (db) return db;
  return err;
}

/** A Postgres error as pg reports it: a 5-character SQLSTATE `code` and a `severity`. */
export function sqlStateOf(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, severity } = err as Error & { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string' ? code : undefined;
}

/**
 * A Postgres error → a failure whose message is `database error (<SQLSTATE>)`. Knex puts the statement and its
 * bound values into the error's message, and that message would otherwise become a delivery's reason and stay in
 * the workflow history. A data exception (class 22, e.g. 22008 datetime out of range, 22021 a NUL byte) fails
 * the same way on every retry, so it is non-retryable; any other class may pass (a lock, a serialization failure,
 * a restart) and is retried. Undefined when `err` is no Postgres error.
 */
export function databaseFailure(err: unknown): ApplicationFailure | undefined {
  const sqlState = sqlStateOf(err);
  if (sqlState === undefined) return undefined;
  return ApplicationFailure.create({
    message: `database error (${sqlState})`,
    type: FailureType.DatabaseError,
    nonRetryable: sqlState.startsWith('22'),
    details: [{ sqlState }],
  });
}
