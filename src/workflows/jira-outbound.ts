/**
 * Tracker → Jira workflows. Each push is its own run (searchable by ExternalIssueKey), reads the current
 * group state when it runs, and ends with an Outcome: applied, skipped (with the reason) or failed.
 */
import type { ApplicationFailure } from '@temporalio/workflow';
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ChangeSource } from '../domain/model';
import { step } from './proxies';
import type {
  CommentSyncInput,
  CreateIssueInput,
  IssueLinkResult,
  LinkIssueInput,
  OutboundPushInput,
  PushResult,
} from './shared';
import { SA } from './shared';
import { failureReason, failureType, pushToLinkedIssues } from './steps';

function outcome<T extends PushResult>(result: T): T {
  upsertSearchAttributes([{ key: SA.Outcome, value: result.outcome }]);
  return result;
}

/** Pushes the group's current assignee to one linked Jira issue (workflow id `<parent>-assignee-<externalIssueId>`). */
export async function syncAssigneeToJira(input: OutboundPushInput): Promise<PushResult> {
  return outcome(
    await step('jira', 'jiraPushAssignee', `Push the assignee of group ${input.groupId} to ${input.key}`, {
      groupId: input.groupId,
      externalIssueId: input.externalIssueId,
      previousAssigneeType: input.previousAssigneeType,
      mode: input.mode,
    })
  );
}

/** Transitions one linked Jira issue to the status mapped for the group's status. */
export async function syncStatusToJira(input: OutboundPushInput): Promise<PushResult> {
  return outcome(
    await step('jira', 'jiraPushStatus', `Push the status of group ${input.groupId} to ${input.key}`, {
      groupId: input.groupId,
      externalIssueId: input.externalIssueId,
    })
  );
}

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
  return outcome({ outcome: r.outcome, reason: r.reason, commentId: r.commentId });
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
