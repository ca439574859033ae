/**
 * Create, link and unlink Jira issues for a group. Create and link run as workflows (createJiraIssue,
 * linkJiraIssue) and answer with their outcome; a link that already exists is refused with 409 before Jira
 * is called; Jira's field errors come back as field errors and nothing is linked.
 */
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { unlinkExternalIssue } from '../../activities/tracker/notes';
import { LINKED_TYPE_EXTERNAL_ISSUE } from '../../domain/model';
import { createJiraIssue, linkJiraIssue } from '../../workflows/jira-outbound';
import type { IssueLinkResult } from '../../workflows/shared';
import { SA } from '../../workflows/shared';
import { ConflictError, InputError, NotFoundError } from '../errors';
import { requestIdOf, resultWithin, startWorkflow } from '../workflow-runner';
import type { GroupActionDeps } from './group-actions';
import { groupOr404, parseBody } from './group-actions';
import { parseId } from './groups';
import type { GroupView } from '../../activities/tracker/group-view';

const createSchema = z.strictObject({
  integrationId: z.number().int().positive(),
  project: z.string().min(1),
  issuetype: z.string().min(1),
  title: z.string().trim().min(1).max(255).optional(),
  description: z.string().max(30_000).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  userId: z.number().int().positive().optional(),
});
const linkSchema = z.strictObject({
  integrationId: z.number().int().positive(),
  externalIssue: z.string().regex(/^[A-Z][A-Z0-9_]*-\d+$/, 'must be a Jira issue key like APP-123'),
  userId: z.number().int().positive().optional(),
});

/** The Jira integration must be installed (active) in the group's org. */
async function installedJira(db: Knex, group: GroupView, integrationId: number): Promise<void> {
  const row = await db('organization_integrations as oi')
    .join('integrations as i', 'i.id', 'oi.integration_id')
    .where({
      'oi.organization_id': group.organizationId,
      'oi.integration_id': integrationId,
      'i.provider': 'jira',
      'oi.status': 'active',
      'i.status': 'active',
    })
    .first('oi.id');
  if (!row) throw new NotFoundError(`Jira integration ${integrationId} is not installed for this organization`);
}

async function linkedKeys(db: Knex, groupId: number, integrationId: number): Promise<string[]> {
  return db('group_links as gl')
    .join('external_issues as ei', 'ei.id', 'gl.linked_id')
    .where({ 'gl.group_id': groupId, 'gl.linked_type': LINKED_TYPE_EXTERNAL_ISSUE, 'ei.integration_id': integrationId })
    .pluck('ei.key');
}

const jiraIdOrName = (v: string, name: 'key' | 'name') => (/^\d+$/.test(v) ? { id: v } : { [name]: v });

function answer(res: Response, workflowId: string, result: IssueLinkResult | undefined): void {
  if (!result) {
    res.status(202).json({ workflowId, status: 'running' });
  } else if (result.notFound) {
    res.status(404).json({ error: { name: 'NotFoundError', message: result.reason } });
  } else if (result.outcome === 'failed') {
    res.status(400).json({
      error: {
        name: 'JiraFieldErrors',
        message: result.reason,
        fieldErrors: result.fieldErrors ?? {},
        errorMessages: result.errorMessages ?? [],
      },
    });
  } else {
    res.status(201).json({
      workflowId,
      externalIssueId: result.externalIssueId,
      key: result.key,
      url: result.url,
      pushes: result.pushes ?? [],
    });
  }
}

function attributes(integrationId: number, groupId: number, key?: string) {
  return [
    { key: SA.Provider, value: 'jira' },
    { key: SA.IntegrationId, value: String(integrationId) },
    { key: SA.GroupIds, value: [String(groupId)] },
    ...(key ? [{ key: SA.ExternalIssueKey, value: key }] : []),
  ];
}

async function create(deps: GroupActionDeps, req: Request, res: Response): Promise<void> {
  const groupId = parseId(req.params.id, 'id');
  const body = parseBody(createSchema, req.body);
  const group = await groupOr404(deps.db, groupId);
  await installedJira(deps.db, group, body.integrationId);
  const existing = await linkedKeys(deps.db, groupId, body.integrationId);
  const requestId = requestIdOf(req);
  const workflowId = `create-issue-${requestId}`;
  const rerun = await deps.temporal.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => true,
      () => false
    );
  if (existing.length > 0 && !rerun)
    throw new ConflictError(`group ${groupId} is already linked to ${existing.join(', ')} on this Jira site`);
  const title = body.title ?? group.title;
  const description = body.description ?? `Issue: ${group.shortId}`;
  const fields = {
    ...body.fields,
    project: jiraIdOrName(body.project, 'key'),
    issuetype: jiraIdOrName(body.issuetype, 'name'),
    summary: title,
    description,
  };
  await startWorkflow(deps.temporal, createJiraIssue, {
    taskQueue: deps.taskQueue,
    workflowId,
    args: [
      {
        requestId,
        groupId,
        integrationId: body.integrationId,
        userId: body.userId ?? null,
        title,
        description,
        fields,
      },
    ],
    staticSummary: `Create a Jira issue for group ${groupId} (${group.shortId})`,
    typedSearchAttributes: attributes(body.integrationId, groupId),
  });
  answer(res, workflowId, await resultWithin<IssueLinkResult>(deps.temporal, workflowId, 30_000));
}

async function link(deps: GroupActionDeps, req: Request, res: Response): Promise<void> {
  const groupId = parseId(req.params.id, 'id');
  const body = parseBody(linkSchema, req.body);
  const group = await groupOr404(deps.db, groupId);
  await installedJira(deps.db, group, body.integrationId);
  if ((await linkedKeys(deps.db, groupId, body.integrationId)).includes(body.externalIssue)) {
    throw new ConflictError(`${body.externalIssue} is already linked to group ${groupId}`);
  }
  const requestId = requestIdOf(req);
  const workflowId = `link-issue-${requestId}`;
  await startWorkflow(deps.temporal, linkJiraIssue, {
    taskQueue: deps.taskQueue,
    workflowId,
    args: [
      { requestId, groupId, integrationId: body.integrationId, userId: body.userId ?? null, key: body.externalIssue },
    ],
    staticSummary: `Link Jira ${body.externalIssue} to group ${groupId}`,
    typedSearchAttributes: attributes(body.integrationId, groupId, body.externalIssue),
  });
  answer(res, workflowId, await resultWithin<IssueLinkResult>(deps.temporal, workflowId, 30_000));
}

async function unlink(deps: GroupActionDeps, req: Request, res: Response): Promise<void> {
  const groupId = parseId(req.params.id, 'id');
  if (req.query.externalIssue === undefined) throw new InputError('externalIssue: required (the external issue id)');
  const externalIssueId = parseId(req.query.externalIssue, 'externalIssue');
  await groupOr404(deps.db, groupId);
  const removed = await unlinkExternalIssue(deps.db, groupId, externalIssueId);
  if (!removed) throw new NotFoundError(`external issue ${externalIssueId} is not linked to group ${groupId}`);
  res.status(204).end();
}

export function externalIssuesRouter(deps: GroupActionDeps): Router {
  const router = Router();
  router.post('/api/groups/:id/external-issues', (req, res) => create(deps, req, res));
  router.put('/api/groups/:id/external-issues', (req, res) => link(deps, req, res));
  router.delete('/api/groups/:id/external-issues', (req, res) => unlink(deps, req, res));
  return router;
}
