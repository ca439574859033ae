/**
 * Tracker → Jira workflows the API starts: a note's comment, creating or linking a Jira issue. Each is its own
 * run (searchable by ExternalIssueKey) and ends with an Outcome. The assignee/status pushes are in jira-push.ts.
 */
import type { ApplicationFailure } from '@temporalio/workflow';
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ChangeSource } from '../domain/model';
import { step } from './proxies';
import { pushToLinkedIssues } from './jira-push';
import type { CommentSyncInput, CreateIssueInput, IssueLinkResult, LinkIssueInput, PushResult } from './shared';
import { SA } from './shared';
import { failureReason, failureType, withOutcome } from './steps';

/** Creates or updates the Jira comment of one note on one issue (id `comment-<noteId>-<externalIssueId>[-v<n>]`). */
export async function syncCommentToJira(input: CommentSyncInput): Promise<PushResult & { commentId: string | null }> {
  const r = await step('jira', 'jiraSyncComment', `Sync note ${input.noteId} to a comment on ${input.key}`, {
    noteId: input.noteId,
    externalIssueId: input.externalIssueId,
  });
  if (r.commentId) {
    await step(
      'tracker',
      'trackerRecordExternalComment',
      `Remember Jira comment ${r.commentId} for note ${input.noteId}`,
      {
        noteId: input.noteId,
        externalIssueId: input.externalIssueId,
        commentId: r.commentId,
      }
    );
  }
  return withOutcome({ outcome: r.outcome, reason: r.reason, commentId: r.commentId });
}

function apiSource(requestId: string, userId: number | null): ChangeSource {
  return { provider: 'api', integrationId: null, key: requestId, actorUserId: userId };
}

/** Creates a Jira issue for a group, links it (activity 7), then pushes the group's assignee and status to it. */
export async function createJiraIssue(input: CreateIssueInput): Promise<IssueLinkResult> {
  let created: { id: string; key: string; url: string };
  try {
    created = await step('jiraCreate', 'jiraCreateIssue', `Create a Jira issue for group ${input.groupId}`, {
      requestId: input.requestId,
      integrationId: input.integrationId,
      fields: input.fields,
    });
  } catch (err) {
    if (failureType(err) !== 'JiraFieldErrors') throw err;
    const cause = (err as { cause?: ApplicationFailure }).cause;
    const fe = (cause?.details?.[0] ?? {}) as { fieldErrors?: Record<string, string>; messages?: string[] };
    upsertSearchAttributes([{ key: SA.Outcome, value: 'failed' }]);
    return {
      outcome: 'failed',
      reason: failureReason(err),
      fieldErrors: fe.fieldErrors ?? {},
      errorMessages: fe.messages ?? [],
    };
  }
  upsertSearchAttributes([{ key: SA.ExternalIssueKey, value: created.key }]);
  const { externalIssueId } = await step(
    'tracker',
    'trackerLinkExternalIssue',
    `Link ${created.key} to group ${input.groupId}`,
    {
      groupId: input.groupId,
      integrationId: input.integrationId,
      key: created.key,
      externalId: created.id,
      title: input.title,
      description: input.description,
      url: created.url,
      created: true,
      userId: input.userId,
      requestId: input.requestId,
    }
  );
  const pushes = await pushToLinkedIssues(
    input.groupId,
    ['assignee', 'status'],
    apiSource(input.requestId, input.userId),
    {
      mode: 'initial',
      onlyExternalIssueId: externalIssueId,
    }
  );
  upsertSearchAttributes([{ key: SA.Outcome, value: 'applied' }]);
  return { outcome: 'applied', reason: null, externalIssueId, key: created.key, url: created.url, pushes };
}

/** Links an existing Jira issue to a group after reading it from Jira (activity 7 with new: false). */
export async function linkJiraIssue(input: LinkIssueInput): Promise<IssueLinkResult> {
  let issue: { id: string; key: string; title: string; description: string | null; url: string };
  try {
    issue = await step('jira', 'jiraGetIssueForLink', `Read Jira issue ${input.key}`, {
      integrationId: input.integrationId,
      key: input.key,
    });
  } catch (err) {
    if (failureType(err) !== 'NotFound') throw err;
    upsertSearchAttributes([{ key: SA.Outcome, value: 'failed' }]);
    return { outcome: 'failed', reason: `Jira has no issue ${input.key}`, notFound: true };
  }
  const { externalIssueId } = await step(
    'tracker',
    'trackerLinkExternalIssue',
    `Link ${issue.key} to group ${input.groupId}`,
    {
      groupId: input.groupId,
      integrationId: input.integrationId,
      key: issue.key,
      externalId: issue.id,
      title: issue.title,
      description: issue.description,
      url: issue.url,
      created: false,
      userId: input.userId,
      requestId: input.requestId,
    }
  );
  upsertSearchAttributes([{ key: SA.Outcome, value: 'applied' }]);
  return { outcome: 'applied', reason: null, externalIssueId, key: issue.key, url: issue.url };
}
