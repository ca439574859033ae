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
