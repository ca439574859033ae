/**
 * What the Jira client throws besides HttpError / NetworkError (src/http.ts), and how to read Jira's 400 body.
 * failures.ts maps all of them to Temporal failures.
 */
import { z } from 'zod';
import { HttpError, UnexpectedBodyError } from '../../http';
import type { JiraFieldErrors } from './types';

/** `system` on every error this client throws. */
export const JIRA_SYSTEM = 'Jira';

/** Jira answered 2xx with a body that lacks what we need. Carries field paths only, never values. */
export class JiraResponseError extends UnexpectedBodyError {
  override readonly name = 'JiraResponseError';
}

const jiraErrorBodySchema = z.object({
  errorMessages: z.array(z.unknown()).optional(),
  errors: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Reads Jira's 400 body `{ errorMessages: [...], errors: { field: message } }` from an HttpError.
 * Returns null for anything else (another status, a network error, a body of another shape).
 */
export function jiraFieldErrors(err: unknown): JiraFieldErrors | null {
  if (!(err instanceof HttpError) || err.status !== 400) return null;
  const parsed = jiraErrorBodySchema.safeParse(err.body);
  if (!parsed.success) return null;
  const fieldErrors: Record<string, string> = {};
  for (const [field, message] of Object.entries(parsed.data.errors ?? {})) {
    if (typeof message === 'string') fieldErrors[field] = message;
  }
  const messages = (parsed.data.errorMessages ?? []).filter((m): m is string => typeof m === 'string');
  if (Object.keys(fieldErrors).length === 0 && messages.length === 0) return null;
  return { fieldErrors, messages };
}
