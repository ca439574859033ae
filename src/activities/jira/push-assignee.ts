/**
 * Pushes a group's current assignee to one linked Jira issue. The assignee is read when the push runs (a late
 * push sends what is true now), Jira is read first (already there → no write, so no echo webhook), and team
 * assignments are never pushed: Jira has no teams.
 */
import type { Knex } from 'knex';
import type { AssigneeType, PausedPush, PushResult } from '../../domain/model';
import { HttpError } from '../../http';
import { toFailure } from '../failures';
import type { IssueRef, PushDeps } from './push-support';
import { APPLIED, PAUSED, callJira, loadIssueRef, skip } from './push-support';
import type { JiraSiteRecord } from './site';
import type { JiraClient } from './types';

export interface PushAssigneeInput {
  readonly groupId: number;
  readonly externalIssueId: number;
  readonly previousAssigneeType?: AssigneeType;
  /** `initial`: a newly created or linked issue; an unassigned group then leaves Jira's assignee alone. */
  readonly mode?: 'change' | 'initial';
}

export async function pushAssignee(
  { db, connect }: PushDeps,
  input: PushAssigneeInput
): Promise<PushResult | PausedPush> {
  const ref = await loadIssueRef(db, input.externalIssueId);
  if (!ref) return skip('the link to Jira was removed');
  const row = await db('group_assignees').where('group_id', input.groupId).first('user_id', 'team_id');
  if (row?.team_id != null) return skip('team assignments are not pushed to Jira');
  if (!row && input.mode === 'initial') return skip('the group has no assignee');
  if (!row && input.previousAssigneeType === 'team')
    return skip('the removed assignee was a team; Jira keeps its assignee');
  const { site, client } = await connect(ref.integrationId);
  if (site.paused) return PAUSED;
  const accountId = row ? await findAccount(db, { ref, site, client }, Number(row.user_id)) : null;
  if (row && !accountId) return skip(`no Jira user on ${ref.key} matches the assignee's verified emails`);
  const issue = await callJira(() => client.getIssue(ref.key));
  if ((issue.fields.assignee?.accountId ?? null) === accountId) return skip('Jira already has this assignee');
  await callJira(() => client.setAssignee(ref.key, accountId));
  return APPLIED;
}

interface AccountLookup {
  readonly ref: IssueRef;
  readonly site: JiraSiteRecord;
  readonly client: JiraClient;
}

/**
 * The accountId for a tracker user: a known external_actors link, else an assignable Jira user whose email (from
 * the search, or from the email API when the app has the scope) equals one of the user's verified emails. A match
 * is remembered in external_actors.
 */
async function findAccount(db: Knex, { ref, site, client }: AccountLookup, userId: number): Promise<string | null> {
  const actor = await db('external_actors')
    .where({ organization_id: ref.organizationId, integration_id: ref.integrationId, user_id: userId })
    .first('external_id');
  if (actor) return String(actor.external_id);
  const emails = await db('user_emails').where({ user_id: userId, is_verified: true }).orderBy('id').pluck('email');
  for (const email of emails as string[]) {
    const wanted = email.trim().toLowerCase();
    let users;
    try {
      users = await client.findAssignableUsers(ref.key, email);
    } catch (err) {
      if (err instanceof HttpError && err.status >= 400 && err.status < 500 && err.status !== 429) continue;
      throw toFailure(err);
    }
    for (const u of users) {
      const seen = u.emailAddress ?? (site.emailScope ? await callJira(() => client.getUserEmail(u.accountId)) : null);
      if (seen && seen.trim().toLowerCase() === wanted) {
        await db('external_actors')
          .insert({
            organization_id: ref.organizationId,
            integration_id: ref.integrationId,
            user_id: userId,
            external_id: u.accountId,
          })
          .onConflict(['integration_id', 'organization_id', 'external_id'])
          .ignore();
        return u.accountId;
      }
    }
  }
  return null;
}
