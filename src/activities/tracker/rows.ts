/**
 * Row-level building blocks shared by the assignee and status hubs: loading a group under lock and writing
 * the activity + history pair exactly once (the activity's idempotency key is the anchor).
 */
import type { Knex } from 'knex';
import type { ChangeSource } from '../../domain/model';

export interface LockedGroup {
  readonly id: number;
  readonly projectId: number;
  readonly organizationId: number;
  readonly status: number;
  readonly substatus: number | null;
}

/** Loads a group and locks its row for the rest of the transaction. */
export async function lockGroup(trx: Knex.Transaction, groupId: number): Promise<LockedGroup | null> {
  const row = await trx('groups as g')
    .join('projects as p', 'p.id', 'g.project_id')
    .where('g.id', groupId)
    .forUpdate('g')
    .first('g.id', 'g.project_id', 'g.status', 'g.substatus', 'p.organization_id');
  if (!row) return null;
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    organizationId: Number(row.organization_id),
    status: Number(row.status),
    substatus: row.substatus == null ? null : Number(row.substatus),
  };
}

export interface ChangeRecord {
  readonly activityType: number;
  readonly historyStatus: number;
  readonly data: Record<string, unknown>;
  /** Distinguishes the kinds of change one source can make to one group (e.g. 'assigned', 'status'). */
  readonly action: string;
  readonly releaseId?: number | null;
}

/** The idempotency key of the activity row a source writes for a group. */
export function changeKey(source: ChangeSource, action: string, groupId: number): string {
  return `${source.provider}:${source.key}:${action}:${groupId}`;
}

/** True when this source already wrote this change for this group (a retried activity after a crash). */
export async function alreadyRecorded(
  trx: Knex,
  source: ChangeSource,
  action: string,
  groupId: number
): Promise<boolean> {
  const row = await trx('activities')
    .where('idempotency_key', changeKey(source, action, groupId))
    .first('id');
  return row != null;
}

/**
 * Writes the activity and its group_history row once. Returns false (and writes nothing) when the activity
 * with this idempotency key exists already.
 */
export async function recordChange(
  trx: Knex.Transaction,
  group: LockedGroup,
  source: ChangeSource,
  change: ChangeRecord
): Promise<boolean> {
  const actor = source.actorUserId ?? null;
  const inserted = await trx('activities')
    .insert({
      project_id: group.projectId,
      group_id: group.id,
      type: change.activityType,
      user_id: actor,
      data: change.data,
      idempotency_key: changeKey(source, change.action, group.id),
      source: { provider: source.provider, integration_id: source.integrationId, delivery_key: source.key },
    })
    .onConflict('idempotency_key')
    .ignore()
    .returning('id');
  if (inserted.length === 0) return false;
  const prev = await trx('group_history').where('group_id', group.id).orderBy('id', 'desc').first('id');
  await trx('group_history').insert({
    organization_id: group.organizationId,
    project_id: group.projectId,
    group_id: group.id,
    status: change.historyStatus,
    user_id: actor,
    prev_history_id: prev?.id ?? null,
    release_id: change.releaseId ?? null,
  });
  return true;
}
