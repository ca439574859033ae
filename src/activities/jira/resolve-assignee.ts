/**
 * Step 1 of the inbound assignee chain: who a Jira assignee is, as an email hash or a known actor. The email
 * lookup runs here so that the email never leaves the activity: what crosses into the workflow history is its
 * SHA-256 (matched against user_emails in Postgres).
 */
import type { Knex } from 'knex';
import { emailSha256 } from '../../domain/hash';
import type { AssigneeTarget } from '../../domain/model';
import { callJira } from './push-support';
import type { ClientFor } from './site';
import type { BaseUrlPolicy } from './site';
import { loadJiraSite } from './site';

/** How long an email hash fetched from Jira is reused, in memory only (SPEC §5). */
export const EMAIL_CACHE_MS = 240_000;

/** `<integrationId>:<accountId>` → email hash and when it expires (ms since the epoch). */
export type EmailHashCache = Map<string, { hash: string; until: number }>;

export interface ResolveDeps {
  readonly db: Knex;
  readonly clientFor: ClientFor;
  readonly cache: EmailHashCache;
  /** Which base URLs a site may have (https; http only on loopback when allowed). */
  readonly policy?: BaseUrlPolicy;
}

export interface ResolveAssigneeInput {
  readonly integrationId: number;
  readonly accountId: string | null;
  /** SHA-256 of the payload's emailAddress, computed at intake; null when Jira hid it. */
  readonly emailSha256: string | null;
}

export interface ResolvedJiraAssignee {
  readonly target: AssigneeTarget | null;
  readonly via: 'payload' | 'external_actor' | 'jira_api' | 'none';
  readonly reason?: string;
}

/** Payload email → external_actors link → Jira's user/email API (only with the email scope). */
export async function resolveAssigneeEmail(
  deps: ResolveDeps,
  input: ResolveAssigneeInput
): Promise<ResolvedJiraAssignee> {
  const accountId = input.accountId;
  if (input.emailSha256)
    return { target: { kind: 'email', emailSha256: input.emailSha256, accountId }, via: 'payload' };
  if (!accountId) return { target: null, via: 'none', reason: 'the Jira assignee has no accountId and no email' };
  const actor = await deps
    .db('external_actors')
    .where({ integration_id: input.integrationId, external_id: accountId })
    .whereNotNull('user_id')
    .first('id');
  if (actor) return { target: { kind: 'actor', accountId }, via: 'external_actor' };
  const site = await loadJiraSite(deps.db, input.integrationId, deps.policy);
  if (!site.emailScope) {
    return {
      target: null,
      via: 'none',
      reason: 'no email for the Jira assignee (Jira hides it and the app has no email scope)',
    };
  }
  const cacheKey = `${input.integrationId}:${accountId}`;
  const hit = deps.cache.get(cacheKey);
  if (hit && hit.until > Date.now()) {
    return { target: { kind: 'email', emailSha256: hit.hash, accountId }, via: 'jira_api' };
  }
  const email = await callJira(() => deps.clientFor(site).getUserEmail(accountId));
  if (!email) return { target: null, via: 'none', reason: 'Jira returned no email for the assignee' };
  const hash = emailSha256(email);
  deps.cache.set(cacheKey, { hash, until: Date.now() + EMAIL_CACHE_MS });
  return { target: { kind: 'email', emailSha256: hash, accountId }, via: 'jira_api' };
}
