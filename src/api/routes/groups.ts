/**
 * The tracker's own actions on a group (bearer API_TOKEN): read it, change its assignee and/or status,
 * comment, and create/link/unlink Jira issues. Each handler parses the request and calls one service.
 */
import { Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Cache } from '../../activities/cache/cache';
import { InputError } from '../errors';
import { idSchema, parseId, parseWith, requestIdOf } from '../parse/request';
import type { ServiceDeps } from '../services/deps';
import { createIssue, linkIssue, unlinkIssue } from '../services/external-issues';
import { assigneeFromValue, requestGroupChange, statusRequest } from '../services/group-change';
import { describeGroup, groupOr404 } from '../services/groups';
import { addNote, changeNote } from '../services/notes';

const updateSchema = z.strictObject({
  status: z.enum(['resolved', 'unresolved', 'ignored']).optional(),
  statusDetails: z
    .strictObject({
      inNextRelease: z.literal(true).optional(),
      inRelease: z.literal('latest').optional(),
      substatus: z.enum(['archived_until_escalating', 'archived_forever']).optional(),
    })
    .optional(),
  assignedTo: z.union([z.string().max(40), z.null()]).optional(),
  actorUserId: idSchema.optional(),
});

const text = z.string().trim().min(1, 'must not be empty').max(10_000, 'at most 10000 characters');
const noteSchema = z.strictObject({ text, userId: idSchema });
const noteEditSchema = z.strictObject({ text });

const createIssueSchema = z.strictObject({
  integrationId: idSchema,
  project: z.string().min(1).max(255),
  issuetype: z.string().min(1).max(255),
  title: z.string().trim().min(1).max(255).optional(),
  description: z.string().max(30_000).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  userId: idSchema.optional(),
});
const linkIssueSchema = z.strictObject({
  integrationId: idSchema,
  externalIssue: z.string().regex(/^[A-Z][A-Z0-9_]{0,49}-\d{1,15}$/, 'must be a Jira issue key like APP-123'),
  userId: idSchema.optional(),
});

export function groupsRouter(deps: ServiceDeps & { db: Knex; cache: Cache }): Router {
  const router = Router();

  router.get('/api/groups/:id', async (req, res) => {
    res.json(await describeGroup(deps, parseId(req.params.id, 'id')));
  });

  router.put('/api/groups/:id', async (req, res) => {
    const groupId = parseId(req.params.id, 'id');
    const body = parseWith(updateSchema, req.body ?? {});
    const d = body.statusDetails ?? {};
    const out = await requestGroupChange(deps, {
      groupId,
      requestId: requestIdOf(req),
      actorUserId: body.actorUserId ?? null,
      assignee: body.assignedTo === undefined ? undefined : assigneeFromValue(body.assignedTo),
      status: body.status
        ? statusRequest(body.status, {
            release: d.inNextRelease ? 'next' : d.inRelease ? 'current' : undefined,
            archiveSubstatus: d.substatus,
          })
        : undefined,
    });
    if (!out.result) res.status(202).json({ workflowId: out.workflowId, status: 'running' });
    else res.json({ group: await groupOr404(deps.db, groupId), ...out });
  });

  router.post('/api/groups/:id/comments', async (req, res) => {
    const groupId = parseId(req.params.id, 'id');
    const body = parseWith(noteSchema, req.body ?? {});
    res.status(201).json(await addNote(deps, { groupId, ...body, requestId: requestIdOf(req) }));
  });

  router.put('/api/groups/:id/comments/:noteId', async (req, res) => {
    const groupId = parseId(req.params.id, 'id');
    const noteId = parseId(req.params.noteId, 'noteId');
    const body = parseWith(noteEditSchema, req.body ?? {});
    res.json(await changeNote(deps, { groupId, noteId, text: body.text, requestId: requestIdOf(req) }));
  });

  router.post('/api/groups/:id/external-issues', async (req, res) => {
    const groupId = parseId(req.params.id, 'id');
    const body = parseWith(createIssueSchema, req.body ?? {});
    const out = await createIssue(deps, { groupId, ...body, requestId: requestIdOf(req) });
    res.status(out.status).json(out.body);
  });

  router.put('/api/groups/:id/external-issues', async (req, res) => {
    const groupId = parseId(req.params.id, 'id');
    const body = parseWith(linkIssueSchema, req.body ?? {});
    const out = await linkIssue(deps, {
      groupId,
      integrationId: body.integrationId,
      key: body.externalIssue,
      userId: body.userId,
      requestId: requestIdOf(req),
    });
    res.status(out.status).json(out.body);
  });

  router.delete('/api/groups/:id/external-issues', async (req, res) => {
    const groupId = parseId(req.params.id, 'id');
    if (req.query.externalIssue === undefined) throw new InputError('externalIssue: required (the external issue id)');
    await unlinkIssue(deps, groupId, parseId(req.query.externalIssue, 'externalIssue'));
    res.status(204).end();
  });

  return router;
}
