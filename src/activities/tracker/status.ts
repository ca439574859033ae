/**
 * The status hub: resolve (plain or in a release) and unresolve one locked group, writing activity + history
 * once. Used by inbound Jira status sync, the tracker API and chat actions.
 */
import type { Knex } from 'knex';
import type { ChangeSource, GroupChange, GroupSkip, ResolutionStrategy, StatusTarget } from '../../domain/model';
import { ActivityType, GroupStatus, GroupSubstatus, HistoryStatus } from '../../domain/model';
import { decideStatus } from '../../domain/rules';
import type { LockedGroup } from './rows';
import { alreadyRecorded, recordChange } from './rows';

interface Release {
  id: number;
  version: string;
}

/** The project's latest release by COALESCE(date_released, created_at), as Sentry picks it. */
async function latestRelease(trx: Knex, projectId: number): Promise<Release | null> {
  const row = await trx('releases')
    .where('project_id', projectId)
    .orderByRaw('coalesce(date_released, created_at) desc, id desc')
    .first('id', 'version');
  return row ? { id: Number(row.id), version: String(row.version) } : null;
}

function sourceData(source: ChangeSource): Record<string, unknown> {
  return source.provider === 'api' ? {} : { provider: source.provider, integration_id: source.integrationId };
}

export interface StatusConfig {
  readonly strategy: ResolutionStrategy;
  readonly resolveArchived: boolean;
  /** For archive: until escalating (default) or forever. */
  readonly archiveSubstatus?: 'archived_until_escalating' | 'archived_forever';
}

async function archive(trx: Knex.Transaction, group: LockedGroup, cfg: StatusConfig, source: ChangeSource) {
  const forever = cfg.archiveSubstatus === 'archived_forever';
  const substatus = forever ? GroupSubstatus.Forever : GroupSubstatus.UntilEscalating;
  await trx('groups').where('id', group.id).update({ status: GroupStatus.Ignored, substatus, resolved_at: null });
  await recordChange(trx, group, source, {
    activityType: ActivityType.SetIgnored,
    historyStatus: forever ? HistoryStatus.ArchivedForever : HistoryStatus.ArchivedUntilEscalating,
    data: { ...sourceData(source), substatus: forever ? 'archived_forever' : 'archived_until_escalating' },
    action: 'status',
  });
}

export async function applyStatusToGroup(
  trx: Knex.Transaction,
  group: LockedGroup,
  target: StatusTarget,
  cfg: StatusConfig,
  source: ChangeSource
): Promise<GroupChange | GroupSkip> {
  const release =
    target === 'resolved' && cfg.strategy !== 'resolve' ? await latestRelease(trx, group.projectId) : null;
  const decision = decideStatus(group.status, target, cfg.strategy, release != null, cfg.resolveArchived);
  if (decision.action === 'none') {
    const replay = await alreadyRecorded(trx, source, 'status', group.id);
    if (replay) return { groupId: group.id, kind: target === 'ignored' ? 'archived' : target };
    return { groupId: group.id, reason: decision.reason };
  }
  if (decision.action === 'archive') {
    await archive(trx, group, cfg, source);
    return { groupId: group.id, kind: 'archived' };
  }
  if (decision.action === 'unresolve') {
    await trx('groups')
      .where('id', group.id)
      .update({ status: GroupStatus.Unresolved, substatus: GroupSubstatus.Ongoing, resolved_at: null });
    await trx('group_resolutions').where('group_id', group.id).delete();
    await recordChange(trx, group, source, {
      activityType: ActivityType.SetUnresolved,
      historyStatus: HistoryStatus.Unresolved,
      data: sourceData(source),
      action: 'status',
    });
    return { groupId: group.id, kind: 'unresolved' };
  }
  await trx('groups')
    .where('id', group.id)
    .update({ status: GroupStatus.Resolved, substatus: null, resolved_at: trx.fn.now() });
  if (decision.action === 'resolve' || release == null) {
    await recordChange(trx, group, source, {
      activityType: ActivityType.SetResolved,
      historyStatus: HistoryStatus.Resolved,
      data: sourceData(source),
      action: 'status',
    });
    return { groupId: group.id, kind: 'resolved' };
  }
  const type = decision.next ? 'in_next_release' : 'in_release';
  await trx('group_resolutions')
    .insert({ group_id: group.id, release_id: release.id, type, actor_id: source.actorUserId ?? null })
    .onConflict('group_id')
    .merge({ release_id: release.id, type, actor_id: source.actorUserId ?? null });
  await recordChange(trx, group, source, {
    activityType: ActivityType.SetResolvedInRelease,
    historyStatus: HistoryStatus.SetResolvedInRelease,
    data: { ...sourceData(source), version: release.version, ...(decision.next ? { inNextRelease: true } : {}) },
    action: 'status',
    releaseId: release.id,
  });
  return { groupId: group.id, kind: decision.next ? 'resolved_in_next_release' : 'resolved_in_release' };
}
