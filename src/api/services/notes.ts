/**
 * Notes on a group (activity type 8) and their sync to every linked Jira issue in orgs with sync_comments:
 * one `syncCommentToJira` run per note × external issue (`comment-<noteId>-<externalIssueId>`, edits `-v<n>`).
 */
import { editNote, insertNote } from '../../activities/tracker/notes';
import { planOutbound } from '../../activities/tracker/outbound';
import { apiWorkflowId } from '../../workflows/ids';
import { syncCommentToJira } from '../../workflows/jira-outbound';
import { InputError, NotFoundError } from '../errors';
import type { ServiceDeps } from './deps';
import { groupOr404 } from './groups';

export interface CommentSyncs {
  readonly syncs: Array<{ externalIssueId: number; key: string; workflowId: string }>;
  readonly skipped: string[];
}

async function startSyncs(
  deps: ServiceDeps,
  groupId: number,
  noteId: number,
  requestId: string,
  version?: number
): Promise<CommentSyncs> {
  const plan = await planOutbound(deps.db, {
    groupId,
    kinds: ['comment'],
    source: { provider: 'api', integrationId: null, key: requestId },
  });
  const syncs = [];
  for (const t of plan.targets) {
    const workflowId = apiWorkflowId.comment(noteId, t.externalIssueId, version);
    await deps.start({
      workflow: syncCommentToJira,
      workflowId,
      args: [{ noteId, externalIssueId: t.externalIssueId, key: t.key, integrationId: t.integrationId }],
      summary: `Sync note ${noteId} of group ${groupId} to Jira ${t.key}`,
      labels: { provider: 'jira', integrationId: t.integrationId, externalIssueKey: t.key, groupIds: [groupId] },
    });
    syncs.push({ externalIssueId: t.externalIssueId, key: t.key, workflowId });
  }
  return { syncs, skipped: plan.skipped };
}

/** Writes the note once per request id (the author must be in the group's org) and starts its Jira syncs. */
export async function addNote(
  deps: ServiceDeps,
  req: { groupId: number; userId: number; text: string; requestId: string }
): Promise<{ noteId: number } & CommentSyncs> {
  const group = await groupOr404(deps.db, req.groupId);
  const member = await deps
    .db('organization_members')
    .where({ organization_id: group.organizationId, user_id: req.userId })
    .first('user_id');
  if (!member) throw new InputError(`userId: user ${req.userId} is not a member of the group's organization`);
  const noteId = await insertNote(deps.db, { ...req, projectId: group.projectId });
  if (noteId === null) throw new InputError('Idempotency-Key: already used for another group');
  return { noteId, ...(await startSyncs(deps, req.groupId, noteId, req.requestId)) };
}

/** New text for a note; each version syncs once per linked issue. */
export async function changeNote(
  deps: ServiceDeps,
  req: { groupId: number; noteId: number; text: string; requestId: string }
): Promise<{ noteId: number; version: number } & CommentSyncs> {
  const version = await editNote(deps.db, req);
  if (version === null) throw new NotFoundError(`note ${req.noteId} not found on group ${req.groupId}`);
  return { noteId: req.noteId, version, ...(await startSyncs(deps, req.groupId, req.noteId, req.requestId, version)) };
}
