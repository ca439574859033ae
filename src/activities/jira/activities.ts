/**
 * Jira activities. The email lookup runs here so that the email never leaves the activity: what crosses into
 * the workflow history is its SHA-256 (matched against user_emails in Postgres).
 */
import type { Knex } from 'knex';
import type { AssigneeTarget } from '../../domain/model';
import { emailSha256 } from '../../domain/hash';
import { toFailure } from '../failures';
import { createJiraClient } from './client';
import { loadJiraSite } from './site';

export interface JiraDeps {
  readonly db: Knex;
  readonly timeoutMs: number;
  /** accountId → email hash, in memory only, at most 240 s (SPEC §5). */
  readonly emailCache?: Map<string, { hash: string; until: number }>;
}

const EMAIL_CACHE_MS = 240_000;

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

export function createJiraActivities(deps: JiraDeps) {
  const cache = deps.emailCache ?? new Map<string, { hash: string; until: number }>();
  return {
    /** Step 1 of the assignee chain: payload email → external_actors link → Jira's user/email API (email scope). */
    async jiraResolveAssigneeEmail(input: ResolveAssigneeInput): Promise<ResolvedJiraAssignee> {
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
      const site = await loadJiraSite(deps.db, input.integrationId);
      if (!site.emailScope) {
        return {
          target: null,
          via: 'none',
          reason: 'no email for the Jira assignee (Jira hides it and the app has no email scope)',
        };
      }
      const cacheKey = `${input.integrationId}:${accountId}`;
      const hit = cache.get(cacheKey);
      if (hit && hit.until > Date.now()) {
        return { target: { kind: 'email', emailSha256: hit.hash, accountId }, via: 'jira_api' };
      }
      let email: string | null;
      try {
        email = await createJiraClient(site, { timeoutMs: deps.timeoutMs }).getUserEmail(accountId);
      } catch (err) {
        throw toFailure(err);
      }
      if (!email) return { target: null, via: 'none', reason: 'Jira returned no email for the assignee' };
      const hash = emailSha256(email);
      cache.set(cacheKey, { hash, until: Date.now() + EMAIL_CACHE_MS });
      return { target: { kind: 'email', emailSha256: hash, accountId }, via: 'jira_api' };
    },
  };
}

export type JiraActivities = ReturnType<typeof createJiraActivities>;
