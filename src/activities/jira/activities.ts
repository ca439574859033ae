/**
 * The Jira activities, registered by name: recorded workflow histories replay against these six names, so never
 * rename one. Each is a thin binding of a module's function to its deps:
 *
 * - resolve-assignee.ts  jiraResolveAssigneeEmail (inbound: who the Jira assignee is, as an email hash)
 * - push-assignee.ts     jiraPushAssignee
 * - push-status.ts       jiraPushStatus
 * - sync-comment.ts      jiraSyncComment
 * - create-issue.ts      jiraCreateIssue, jiraGetIssueForLink
 *
 * The client is injected (`clientFor`): the worker passes createJiraClient with its HTTP timeout, tests a fake.
 */
import type { Knex } from 'knex';
import type { PausedPush, PushResult } from '../../domain/model';
import type { CreatedIssue, CreateIssueInput, GetIssueForLinkInput, IssueForLink } from './create-issue';
import { createIssue, getIssueForLink } from './create-issue';
import type { PushAssigneeInput } from './push-assignee';
import { pushAssignee } from './push-assignee';
import type { PushDeps } from './push-support';
import type { PushStatusInput } from './push-status';
import { pushStatus } from './push-status';
import type { EmailHashCache, ResolveAssigneeInput, ResolvedJiraAssignee } from './resolve-assignee';
import { resolveAssigneeEmail } from './resolve-assignee';
import type { BaseUrlPolicy, ClientFor } from './site';
import { DEFAULT_BASE_URL_POLICY, connector } from './site';
import type { CommentSyncResult, SyncCommentInput } from './sync-comment';
import { syncComment } from './sync-comment';

export interface JiraActivityDeps {
  readonly db: Knex;
  readonly clientFor: ClientFor;
  /** ALLOW_HTTP_LOOPBACK: whether a site's base_url may be http on a loopback host. */
  readonly policy?: BaseUrlPolicy;
}

export function createJiraActivities({ db, clientFor, policy = DEFAULT_BASE_URL_POLICY }: JiraActivityDeps) {
  const push: PushDeps = { db, connect: connector(db, clientFor, policy) };
  const emailCache: EmailHashCache = new Map();
  return {
    /** Step 1 of the assignee chain: payload email → external_actors link → Jira's user/email API (email scope). */
    jiraResolveAssigneeEmail: (input: ResolveAssigneeInput): Promise<ResolvedJiraAssignee> =>
      resolveAssigneeEmail({ db, clientFor, cache: emailCache, policy }, input),
    /** Pushes the group's current assignee to one linked Jira issue. Team assignments are never pushed. */
    jiraPushAssignee: (input: PushAssigneeInput): Promise<PushResult | PausedPush> => pushAssignee(push, input),
    /** Moves one linked Jira issue to the status mapped for the group's status, through a fresh transition list. */
    jiraPushStatus: (input: PushStatusInput): Promise<PushResult | PausedPush> => pushStatus(push, input),
    /** Creates or updates the Jira comment of one note on one issue; never posts the same note twice. */
    jiraSyncComment: (input: SyncCommentInput): Promise<CommentSyncResult> => syncComment(push, input),
    /** Creates a Jira issue once per request id (found again by its property after a crash). 400 → field errors. */
    jiraCreateIssue: (input: CreateIssueInput): Promise<CreatedIssue> => createIssue(push, input),
    /** Reads an existing issue to link it (404 → NotFound, not retried). */
    jiraGetIssueForLink: (input: GetIssueForLinkInput): Promise<IssueForLink> => getIssueForLink(push, input),
  };
}

export type JiraActivities = ReturnType<typeof createJiraActivities>;
