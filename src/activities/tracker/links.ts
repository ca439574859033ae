/** Which groups an external issue reaches, per org config; and re-keying issues that moved. */
import type { Knex } from 'knex';
import type { GroupSkip, ResolutionStrategy } from '../../domain/model';
import { LINKED_TYPE_EXTERNAL_ISSUE } from '../../domain/model';

export type InboundFlag = 'sync_reverse_assignment' | 'sync_status_reverse';

const FLAG_LABEL: Record<InboundFlag, string> = {
  sync_reverse_assignment: 'assignee sync',
  sync_status_reverse: 'status sync',
};

export interface LinkedGroups {
  readonly externalIssueIds: number[];
  readonly groupIds: number[];
  readonly orgConfig: Record<string, { strategy: ResolutionStrategy; resolveArchived: boolean }>;
  readonly skipped: GroupSkip[];
}

function strategyOf(config: Record<string, unknown>): ResolutionStrategy {
  const s = config.resolution_strategy;
  return s === 'resolve_current_release' || s === 'resolve_next_release' ? s : 'resolve';
}

/**
 * External issues of this integration with this key (or Jira's numeric id), in orgs whose
 * organization_integration is active and has `flag`; and the groups linked to them (linked_type 3 only).
 */
export async function findLinkedGroups(
  db: Knex,
  input: { integrationId: number; issueKey: string; issueId: string | null; flag: InboundFlag }
): Promise<LinkedGroups> {
  const rows = await db('external_issues as ei')
    .join('organizations as o', 'o.id', 'ei.organization_id')
    .leftJoin('organization_integrations as oi', function () {
      this.on('oi.organization_id', 'ei.organization_id').andOn('oi.integration_id', 'ei.integration_id');
    })
    .where('ei.integration_id', input.integrationId)
    .andWhere((q) => {
      q.where('ei.key', input.issueKey);
      if (input.issueId) q.orWhere('ei.external_id', input.issueId);
    })
    .orderBy('ei.id')
    .select('ei.id', 'ei.organization_id', 'o.slug', 'oi.config', 'oi.status');
  const result: LinkedGroups = { externalIssueIds: [], groupIds: [], orgConfig: {}, skipped: [] };
  for (const r of rows as Array<{
    id: string;
    organization_id: string;
    slug: string;
    config: Record<string, unknown> | null;
    status: string | null;
  }>) {
    const config = r.config ?? {};
    if (r.status == null) {
      result.skipped.push({ groupId: null, reason: `integration not installed for org ${r.slug}` });
    } else if (r.status !== 'active') {
      result.skipped.push({ groupId: null, reason: `integration disabled for org ${r.slug}` });
    } else if (config[input.flag] !== true) {
      result.skipped.push({ groupId: null, reason: `${FLAG_LABEL[input.flag]} disabled for org ${r.slug}` });
    } else {
      result.externalIssueIds.push(Number(r.id));
      result.orgConfig[String(r.organization_id)] = {
        strategy: strategyOf(config),
        resolveArchived: config.resolve_archived === true,
      };
    }
  }
  if (result.externalIssueIds.length > 0) {
    const groups = await db('group_links')
      .where('linked_type', LINKED_TYPE_EXTERNAL_ISSUE)
      .whereIn('linked_id', result.externalIssueIds)
      .distinct('group_id')
      .orderBy('group_id');
    result.groupIds.push(...groups.map((g: { group_id: string }) => Number(g.group_id)));
  }
  return result;
}

/**
 * An issue moved (new key, same numeric id): re-key our rows by external_id, and fill in external_id on rows
 * that only knew the key. Idempotent.
 */
export async function rekeyExternalIssue(
  db: Knex,
  input: { integrationId: number; issueId: string; issueKey: string; previousKey: string | null }
): Promise<{ rekeyed: number }> {
  return db.transaction(async (trx) => {
    if (input.previousKey) {
      await trx('external_issues')
        .where({ integration_id: input.integrationId, key: input.previousKey })
        .whereNull('external_id')
        .update({ external_id: input.issueId });
    }
    const rekeyed = await trx('external_issues')
      .where({ integration_id: input.integrationId, external_id: input.issueId })
      .whereNot('key', input.issueKey)
      .update({ key: input.issueKey });
    return { rekeyed };
  });
}
