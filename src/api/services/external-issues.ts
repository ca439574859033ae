/**
 * Creating, linking and unlinking Jira issues for a group. Create and link run as workflows
 * (`createJiraIssue`, `linkJiraIssue`) and answer with their outcome. One issue per site: a group that has
 * (or is getting) an issue on a Jira site gets 409 before Jira is called, held by `jira_issue_claims`.
 */
import type { Knex } from 'knex';
import { unlinkExternalIssue } from '../../activities/tracker/notes';
import type { GroupView } from '../../activities/tracker/group-view';
import { LINKED_TYPE_EXTERNAL_ISSUE } from '../../domain/model';
import { apiWorkflowId } from '../../workflows/ids';
import { createJiraIssue, linkJiraIssue } from '../../workflows/jira-outbound';
import type { IssueLinkResult } from '../../workflows/shared';
import { ConflictError, JiraFieldErrors, NotFoundError } from '../errors';
import type { StartSpec } from '../temporal-start';
import type { ServiceDeps } from './deps';
import { groupOr404 } from './groups';

/** How long a claim whose run Temporal does not know yet counts as in progress (a start takes ≤ 5 s). */
const CLAIM_START_GRACE_MS = 30_000;
const RESULT_WAIT_MS = 30_000;

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

/**
 * Claims (group, site) for this request, or throws 409. A repeat of the claiming request passes (it finds
 * its own run). Another request takes the claim over only when the claiming run has ended without a link.
 */
async function claimSite(deps: ServiceDeps, groupId: number, integrationId: number, requestId: string) {
  const { db } = deps;
  const where = { group_id: groupId, integration_id: integrationId };
  await db('jira_issue_claims')
    .insert({ ...where, request_id: requestId })
    .onConflict(['group_id', 'integration_id'])
    .ignore();
  const claim = await db('jira_issue_claims').where(where).first('request_id', 'created_at');
  const linked = await linkedKeys(db, groupId, integrationId);
  const alreadyLinked = () =>
    new ConflictError(`group ${groupId} is already linked to ${linked.join(', ')} on this Jira site`);
  if (claim?.request_id === requestId) {
    if (linked.length > 0 && (await deps.runState(apiWorkflowId.createIssue(requestId))) === 'unknown') {
      await db('jira_issue_claims')
        .where({ ...where, request_id: requestId })
        .delete();
      throw alreadyLinked();
    }
    return;
  }
  if (linked.length > 0) throw alreadyLinked();
  const other = String(claim?.request_id);
  const state = await deps.runState(apiWorkflowId.createIssue(other));
  const young = Date.now() - new Date(claim?.created_at as Date).getTime() < CLAIM_START_GRACE_MS;
  const taken =
    state === 'running' || (state === 'unknown' && young)
      ? 0
      : await db('jira_issue_claims')
          .where({ ...where, request_id: other })
          .update({ request_id: requestId, created_at: db.fn.now() });
  if (taken === 0) throw new ConflictError(`a Jira issue is being created for group ${groupId} on this site`);
}

export interface IssueAnswer {
  readonly status: 201 | 202;
  readonly body: Record<string, unknown>;
}

/** The run's outcome as the API answers it: 201 linked, 202 still running; 404 / 400 as named errors. */
function answer(workflowId: string, result: IssueLinkResult | undefined): IssueAnswer {
  if (!result) return { status: 202, body: { workflowId, status: 'running' } };
  if (result.notFound) throw new NotFoundError(result.reason ?? 'Jira has no such issue');
  if (result.outcome === 'failed') {
    throw new JiraFieldErrors(result.reason ?? 'Jira rejected the issue', {
      fieldErrors: result.fieldErrors ?? {},
      errorMessages: result.errorMessages ?? [],
    });
  }
  return {
    status: 201,
    body: {
      workflowId,
      externalIssueId: result.externalIssueId,
      key: result.key,
      url: result.url,
      pushes: result.pushes ?? [],
    },
  };
}

/** A Jira `{id}` for numeric values, else `{key}` (project) or `{name}` (issue type). */
const jiraIdOrName = (v: string, name: 'key' | 'name') => (/^\d+$/.test(v) ? { id: v } : { [name]: v });

/** The request fields every issue workflow takes. */
function issueRequest(req: { requestId: string; groupId: number; integrationId: number; userId?: number }) {
  return {
    requestId: req.requestId,
    groupId: req.groupId,
    integrationId: req.integrationId,
    userId: req.userId ?? null,
  };
}

/** Starts the create/link run and answers with its outcome, or 202 while it runs longer than RESULT_WAIT_MS. */
async function startAndAnswer<W extends typeof createJiraIssue | typeof linkJiraIssue>(
  deps: ServiceDeps,
  spec: StartSpec<W>
): Promise<IssueAnswer> {
  await deps.start(spec);
  return answer(spec.workflowId, await deps.resultWithin<IssueLinkResult>(spec.workflowId, RESULT_WAIT_MS));
}

export interface CreateIssueRequest {
  readonly groupId: number;
  readonly integrationId: number;
  readonly project: string;
  readonly issuetype: string;
  readonly title?: string;
  readonly description?: string;
  readonly fields?: Record<string, unknown>;
  readonly userId?: number;
  readonly requestId: string;
}

export async function createIssue(deps: ServiceDeps, req: CreateIssueRequest): Promise<IssueAnswer> {
  const group = await groupOr404(deps.db, req.groupId);
  await installedJira(deps.db, group, req.integrationId);
  await claimSite(deps, req.groupId, req.integrationId, req.requestId);
  const title = req.title ?? group.title;
  const description = req.description ?? `Issue: ${group.shortId}`;
  const fields = {
    ...req.fields,
    project: jiraIdOrName(req.project, 'key'),
    issuetype: jiraIdOrName(req.issuetype, 'name'),
    summary: title,
    description,
  };
  return startAndAnswer(deps, {
    workflow: createJiraIssue,
    workflowId: apiWorkflowId.createIssue(req.requestId),
    args: [{ ...issueRequest(req), title, description, fields }],
    summary: `Create a Jira issue for group ${req.groupId} (${group.shortId})`,
    labels: { provider: 'jira', integrationId: req.integrationId, groupIds: [req.groupId] },
  });
}

export async function linkIssue(
  deps: ServiceDeps,
  req: { groupId: number; integrationId: number; key: string; userId?: number; requestId: string }
): Promise<IssueAnswer> {
  const group = await groupOr404(deps.db, req.groupId);
  await installedJira(deps.db, group, req.integrationId);
  if ((await linkedKeys(deps.db, req.groupId, req.integrationId)).includes(req.key)) {
    throw new ConflictError(`${req.key} is already linked to group ${req.groupId}`);
  }
  return startAndAnswer(deps, {
    workflow: linkJiraIssue,
    workflowId: apiWorkflowId.linkIssue(req.requestId),
    args: [{ ...issueRequest(req), key: req.key }],
    summary: `Link Jira ${req.key} to group ${req.groupId}`,
    labels: { provider: 'jira', integrationId: req.integrationId, externalIssueKey: req.key, groupIds: [req.groupId] },
  });
}

export async function unlinkIssue(deps: Pick<ServiceDeps, 'db'>, groupId: number, externalIssueId: number) {
  await groupOr404(deps.db, groupId);
  const removed = await unlinkExternalIssue(deps.db, groupId, externalIssueId);
  if (!removed) throw new NotFoundError(`external issue ${externalIssueId} is not linked to group ${groupId}`);
}
