/**
 * Pushes a group's current status to one linked Jira issue: resolved and unresolved map to the Jira statuses set
 * for the issue's project (external_projects), reached through a transition Jira offers right now.
 */
import type { Knex } from 'knex';
import type { PausedPush, PushResult } from '../../domain/model';
import { GroupStatus } from '../../domain/model';
import type { IssueRef, PushDeps } from './push-support';
import { APPLIED, PAUSED, callJira, loadIssueRef, skip } from './push-support';
import type { JiraIssue } from './types';

export interface PushStatusInput {
  readonly groupId: number;
  readonly externalIssueId: number;
}

export async function pushStatus({ db, connect }: PushDeps, input: PushStatusInput): Promise<PushResult | PausedPush> {
  const ref = await loadIssueRef(db, input.externalIssueId);
  if (!ref) return skip('the link to Jira was removed');
  const group = await db('groups').where('id', input.groupId).first('status');
  const status = Number(group?.status);
  if (status !== GroupStatus.Unresolved && status !== GroupStatus.Resolved)
    return skip('only resolved and unresolved are pushed to Jira');
  const { site, client } = await connect(ref.integrationId);
  if (site.paused) return PAUSED;
  const issue = await callJira(() => client.getIssue(ref.key));
  const mapping = await statusMapping(db, ref, issue);
  if (!mapping) return skip(`Jira project ${issue.fields.project.key} has no status mapping for org ${ref.orgSlug}`);
  const target = status === GroupStatus.Resolved ? mapping.resolved : mapping.unresolved;
  if (issue.fields.status.id === target) return skip(`${ref.key} is already in the mapped status`);
  const transitions = await callJira(() => client.getTransitions(ref.key));
  const transition = transitions.find((t) => t.to.id === target);
  if (!transition) return skip(`no transition from "${issue.fields.status.name}" to status ${target} on ${ref.key}`);
  await callJira(() => client.transitionIssue(ref.key, transition.id));
  return APPLIED;
}

/** The Jira status ids the org maps resolved / unresolved to, for the issue's project; null when unmapped. */
async function statusMapping(
  db: Knex,
  ref: IssueRef,
  issue: JiraIssue
): Promise<{ resolved: string; unresolved: string } | null> {
  const row = await db('external_projects as ep')
    .join('organization_integrations as oi', 'oi.id', 'ep.organization_integration_id')
    .where({
      'oi.organization_id': ref.organizationId,
      'oi.integration_id': ref.integrationId,
      'ep.external_id': issue.fields.project.id,
    })
    .first('ep.resolved_status', 'ep.unresolved_status');
  return row ? { resolved: String(row.resolved_status), unresolved: String(row.unresolved_status) } : null;
}
