/**
 * Notes on a group (activity type 8) and their sync to every linked Jira issue in orgs with sync_comments:
 * one syncCommentToJira run per note × external issue (`comment-<noteId>-<externalIssueId>`, edits `-v<n>`).
 */
import { Router } from 'express';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { planOutbound } from '../../activities/tracker/outbound';
import { editNote, insertNote } from '../../activities/tracker/notes';
import { syncCommentToJira } from '../../workflows/jira-outbound';
import { SA } from '../../workflows/shared';
import { InputError, NotFoundError } from '../errors';
import { requestIdOf, startWorkflow } from '../workflow-runner';
import type { GroupActionDeps } from './group-actions';
import { groupOr404, parseBody } from './group-actions';
import { parseId } from './groups';

const text = z.string().trim().min(1, 'must not be empty').max(10_000, 'at most 10000 characters');
const createSchema = z.strictObject({ text, userId: z.number().int().positive() });
const editSchema = z.strictObject({ text });

async function startSyncs(deps: GroupActionDeps, groupId: number, noteId: number, requestId: string, suffix: string) {
  const plan = await planOutbound(deps.db, {
    groupId,
    kinds: ['comment'],
    source: { provider: 'api', integrationId: null, key: requestId },
  });
  const syncs = [];
  for (const t of plan.targets) {
    const { workflowId } = await startWorkflow(deps.temporal, syncCommentToJira, {
      taskQueue: deps.taskQueue,
      workflowId: `comment-${noteId}-${t.externalIssueId}${suffix}`,
      args: [{ noteId, externalIssueId: t.externalIssueId, key: t.key, integrationId: t.integrationId }],
      staticSummary: `Sync note ${noteId} of group ${groupId} to Jira ${t.key}`,
      typedSearchAttributes: [
        { key: SA.Provider, value: 'jira' },
        { key: SA.IntegrationId, value: String(t.integrationId) },
        { key: SA.ExternalIssueKey, value: t.key },
        { key: SA.GroupIds, value: [String(groupId)] },
      ],
    });
    syncs.push({ externalIssueId: t.externalIssueId, key: t.key, workflowId });
  }
  return { syncs, skipped: plan.skipped };
}

async function createNoteRoute(deps: GroupActionDeps, req: Request, res: Response): Promise<void> {
  const groupId = parseId(req.params.id, 'id');
  const body = parseBody(createSchema, req.body);
  const group = await groupOr404(deps.db, groupId);
  const member = await deps
    .db('organization_members')
    .where({ organization_id: group.organizationId, user_id: body.userId })
    .first('user_id');
  if (!member) throw new InputError(`userId: user ${body.userId} is not a member of the group's organization`);
  const requestId = requestIdOf(req);
  const noteId = await insertNote(deps.db, {
    groupId,
    projectId: group.projectId,
    userId: body.userId,
    text: body.text,
    requestId,
  });
  if (noteId === null) throw new InputError('Idempotency-Key: already used for another group');
  res.status(201).json({ noteId, ...(await startSyncs(deps, groupId, noteId, requestId, '')) });
}

async function editNoteRoute(deps: GroupActionDeps, req: Request, res: Response): Promise<void> {
  const groupId = parseId(req.params.id, 'id');
  const noteId = parseId(req.params.noteId, 'noteId');
  const body = parseBody(editSchema, req.body);
  const version = await editNote(deps.db, { groupId, noteId, text: body.text });
  if (version === null) throw new NotFoundError(`note ${noteId} not found on group ${groupId}`);
  res.json({ noteId, version, ...(await startSyncs(deps, groupId, noteId, requestIdOf(req), `-v${version}`)) });
}

export function commentsRouter(deps: GroupActionDeps): Router {
  const router = Router();
  router.post('/api/groups/:id/comments', (req, res) => createNoteRoute(deps, req, res));
  router.put('/api/groups/:id/comments/:noteId', (req, res) => editNoteRoute(deps, req, res));
  return router;
}
