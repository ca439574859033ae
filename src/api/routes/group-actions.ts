/**
 * The tracker's own actions on a group (bearer API_TOKEN, zod-validated): change assignee/status, comment,
 * create/link/unlink a Jira issue. Each change runs as a workflow; these routes validate, start, and answer.
 */
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { invalidAssignee } from '../../activities/tracker/group-change';
import { loadGroupView } from '../../activities/tracker/group-view';
import type { GroupView } from '../../activities/tracker/group-view';
import { groupUpdate } from '../../workflows/group-update';
import type { GroupUpdateInput, GroupUpdateResult } from '../../workflows/shared';
import { SA } from '../../workflows/shared';
import { InputError, NotFoundError } from '../errors';
import { requestIdOf, resultWithin, startWorkflow } from '../workflow-runner';
import { parseId } from './groups';

export interface GroupActionDeps {
  readonly db: Knex;
  readonly temporal: Client;
  readonly taskQueue: string;
}

/** zod → InputError naming the first path. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InputError(`${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`);
}

export async function groupOr404(db: Knex, id: number): Promise<GroupView> {
  const group = await loadGroupView(db, id);
  if (!group) throw new NotFoundError(`group ${id} not found`);
  return group;
}

const ASSIGNEE = /^(user|team):([1-9]\d*)$/;

const updateSchema = z
  .strictObject({
    status: z.enum(['resolved', 'unresolved', 'ignored']).optional(),
    statusDetails: z
      .strictObject({
        inNextRelease: z.literal(true).optional(),
        inRelease: z.literal('latest').optional(),
        substatus: z.enum(['archived_until_escalating', 'archived_forever']).optional(),
      })
      .optional(),
    assignedTo: z.union([z.string().regex(ASSIGNEE, 'must be user:<id>, team:<id> or null'), z.null()]).optional(),
    actorUserId: z.number().int().positive().optional(),
  })
  .refine((b) => b.status !== undefined || b.assignedTo !== undefined, { message: 'give status and/or assignedTo' });

type UpdateBody = z.infer<typeof updateSchema>;

function toAssignee(value: string | null): NonNullable<GroupUpdateInput['assignee']> {
  if (value === null) return { kind: 'none' };
  const [, kind, id] = ASSIGNEE.exec(value) ?? [];
  return kind === 'user' ? { kind: 'user', userId: Number(id) } : { kind: 'team', teamId: Number(id) };
}

function toStatus(b: UpdateBody): GroupUpdateInput['status'] {
  if (!b.status) return undefined;
  const d = b.statusDetails ?? {};
  if (b.status !== 'resolved' && (d.inNextRelease || d.inRelease))
    throw new InputError('statusDetails: release details need status resolved');
  const strategy = d.inNextRelease ? 'resolve_next_release' : d.inRelease ? 'resolve_current_release' : 'resolve';
  return { target: b.status, strategy, archiveSubstatus: d.substatus };
}

async function updateGroup(deps: GroupActionDeps, req: Request, res: Response): Promise<void> {
  const id = parseId(req.params.id, 'id');
  const body = parseBody(updateSchema, req.body);
  const group = await groupOr404(deps.db, id);
  const assignee = body.assignedTo === undefined ? undefined : toAssignee(body.assignedTo);
  if (assignee) {
    const invalid = await invalidAssignee(
      deps.db,
      {
        id,
        projectId: group.projectId,
        organizationId: group.organizationId,
        status: group.status,
        substatus: group.substatus,
      },
      assignee
    );
    if (invalid) throw new InputError(`assignedTo: ${invalid}`);
  }
  const requestId = requestIdOf(req);
  const input: GroupUpdateInput = {
    requestId,
    groupId: id,
    actorUserId: body.actorUserId ?? null,
    assignee,
    status: toStatus(body),
  };
  const { workflowId } = await startWorkflow(deps.temporal, groupUpdate, {
    taskQueue: deps.taskQueue,
    workflowId: `api-${requestId}`,
    args: [input],
    staticSummary: `API change to group ${id}: ${[body.status, body.assignedTo === undefined ? null : 'assignee'].filter(Boolean).join(', ')}`,
    typedSearchAttributes: [
      { key: SA.Provider, value: 'api' },
      { key: SA.GroupIds, value: [String(id)] },
    ],
  });
  const result = await resultWithin<GroupUpdateResult>(deps.temporal, workflowId, 15_000);
  if (!result) {
    res.status(202).json({ workflowId, status: 'running' });
    return;
  }
  res.json({ group: await groupOr404(deps.db, id), workflowId, result });
}

export function groupActionsRouter(deps: GroupActionDeps): Router {
  const router = Router();
  router.put('/api/groups/:id', (req, res) => updateGroup(deps, req, res));
  return router;
}
