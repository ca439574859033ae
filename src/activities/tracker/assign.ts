/**
 * The assignment hub (reference §2.4): every assign/deassign — from Jira, Discord, Teams or the API — goes
 * through applyAssigneeToGroup inside one transaction per group. Unchanged assignee → no rows written.
 */
import type { Knex } from 'knex';
import type { ChangeSource, GroupChange } from '../../domain/model';
import { ActivityType, HistoryStatus, SubscriptionReason } from '../../domain/model';
import type { LockedGroup } from './rows';
import { alreadyRecorded, recordChange } from './rows';

type Resolved = { kind: 'none' } | { kind: 'user'; userId: number } | { kind: 'team'; teamId: number };

interface CurrentAssignee {
  userId: number | null;
  teamId: number | null;
}

async function displayName(trx: Knex, target: Resolved): Promise<string | undefined> {
  if (target.kind === 'user') {
    const u = await trx('users').where('id', target.userId).first('name', 'username');
    return (u?.name as string | undefined) || (u?.username as string | undefined);
  }
  if (target.kind === 'team') {
    const t = await trx('teams').where('id', target.teamId).first('slug');
    return t ? `#${String(t.slug)}` : undefined;
  }
  return undefined;
}

async function dropAssignedSubscription(trx: Knex, groupId: number, prev: CurrentAssignee, next: Resolved) {
  const q = trx('group_subscriptions').where({ group_id: groupId, reason: SubscriptionReason.Assigned });
  if (prev.userId != null && !(next.kind === 'user' && next.userId === prev.userId)) {
    await q.clone().where('user_id', prev.userId).delete();
  }
  if (prev.teamId != null && !(next.kind === 'team' && next.teamId === prev.teamId)) {
    await q.clone().where('team_id', prev.teamId).delete();
  }
}

async function subscribe(trx: Knex, group: LockedGroup, target: Resolved) {
  if (target.kind === 'none') return;
  const col = target.kind === 'user' ? 'user_id' : 'team_id';
  const id = target.kind === 'user' ? target.userId : target.teamId;
  // One subscription per (group, user|team): an existing one (e.g. from a comment) is kept as it is.
  await trx('group_subscriptions')
    .insert({
      project_id: group.projectId,
      group_id: group.id,
      [col]: id,
      is_active: true,
      reason: SubscriptionReason.Assigned,
    })
    .onConflict(['group_id', col])
    .ignore();
}

function sameAssignee(cur: CurrentAssignee | null, target: Resolved): boolean {
  if (target.kind === 'none') return cur == null;
  if (cur == null) return false;
  return target.kind === 'user' ? cur.userId === target.userId : cur.teamId === target.teamId;
}

/**
 * Assigns or deassigns one (locked) group. Returns the change, or null when the group already had that
 * assignee and this source had not changed it before (a retry of a committed change reports it again, so
 * caches and messages still follow).
 */
export async function applyAssigneeToGroup(
  trx: Knex.Transaction,
  group: LockedGroup,
  target: Resolved,
  source: ChangeSource
): Promise<GroupChange | null> {
  const row = await trx('group_assignees').where('group_id', group.id).forUpdate().first('user_id', 'team_id');
  const cur: CurrentAssignee | null = row
    ? {
        userId: row.user_id == null ? null : Number(row.user_id),
        teamId: row.team_id == null ? null : Number(row.team_id),
      }
    : null;
  const action = target.kind === 'none' ? 'unassigned' : 'assigned';
  const name = await displayName(trx, target);
  const previousAssigneeType = cur == null ? undefined : cur.userId != null ? ('user' as const) : ('team' as const);
  const change: GroupChange =
    target.kind === 'none'
      ? { groupId: group.id, kind: 'unassigned', previousAssigneeType }
      : { groupId: group.id, kind: 'assigned', assigneeName: name, assigneeType: target.kind, previousAssigneeType };
  if (sameAssignee(cur, target)) {
    return (await alreadyRecorded(trx, source, action, group.id)) ? change : null;
  }
  if (target.kind === 'none') {
    await trx('group_assignees').where('group_id', group.id).delete();
    await recordChange(trx, group, source, {
      activityType: ActivityType.Unassigned,
      historyStatus: HistoryStatus.Unassigned,
      data: source.provider === 'api' ? {} : { integration: source.provider },
      action,
    });
  } else {
    const values = {
      user_id: target.kind === 'user' ? target.userId : null,
      team_id: target.kind === 'team' ? target.teamId : null,
      date_added: trx.fn.now(),
    };
    await trx('group_assignees')
      .insert({ project_id: group.projectId, group_id: group.id, ...values })
      .onConflict('group_id')
      .merge(values);
    await subscribe(trx, group, target);
    await recordChange(trx, group, source, {
      activityType: ActivityType.Assigned,
      historyStatus: HistoryStatus.Assigned,
      data: {
        assignee: String(target.kind === 'user' ? target.userId : target.teamId),
        assigneeType: target.kind,
        ...(source.provider === 'api' ? {} : { integration: source.provider }),
      },
      action,
    });
  }
  if (cur) await dropAssignedSubscription(trx, group.id, cur, target);
  return change;
}

export type { Resolved as ResolvedAssignee };
