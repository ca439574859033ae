/**
 * A person's change to one group (the tracker API, Discord, Teams): assignee and/or status in
 * one transaction, through the same hubs as the inbound flows. Archived groups are no barrier here.
 */
import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';
import type { ApplyResult, ChangeSource, GroupChange, GroupSkip, ResolutionStrategy } from '../../domain/model';
import type { ResolvedAssignee } from './assign';
import { applyAssigneeToGroup } from './assign';
import { candidatesFor } from './candidates';
import { lockGroup } from './rows';
import type { LockedGroup } from './rows';
import { applyStatusToGroup } from './status';

export interface GroupChangeInput {
  readonly groupId: number;
  readonly assignee?: ResolvedAssignee;
  readonly status?: {
    readonly target: 'resolved' | 'unresolved' | 'ignored';
    readonly strategy?: ResolutionStrategy;
    readonly archiveSubstatus?: 'archived_until_escalating' | 'archived_forever';
  };
  readonly source: ChangeSource;
}

/** Why an assignee is not valid for this group, or null when it is (active org member / team of the org). */
export async function invalidAssignee(db: Knex, group: LockedGroup, target: ResolvedAssignee): Promise<string | null> {
  if (target.kind === 'user') {
    const [c] = await candidatesFor(db, [target.userId], group);
    if (!c) return `user ${target.userId} does not exist`;
    if (!c.isActive) return `user ${target.userId} is deactivated`;
    if (!c.isOrgMember) return `user ${target.userId} is not a member of the group's organization`;
  }
  if (target.kind === 'team') {
    const team = await db('teams').where({ id: target.teamId, organization_id: group.organizationId }).first('id');
    if (!team) return `team ${target.teamId} does not belong to the group's organization`;
  }
  return null;
}

export async function applyGroupChange(db: Knex, input: GroupChangeInput): Promise<ApplyResult> {
  return db.transaction(async (trx) => {
    const group = await lockGroup(trx, input.groupId);
    if (!group) throw ApplicationFailure.nonRetryable(`group ${input.groupId} not found`, 'NotFound');
    const changed: GroupChange[] = [];
    const skipped: GroupSkip[] = [];
    if (input.assignee) {
      const invalid = await invalidAssignee(trx, group, input.assignee);
      if (invalid) throw ApplicationFailure.nonRetryable(invalid, 'InvalidAssignee');
      const change = await applyAssigneeToGroup(trx, group, input.assignee, input.source);
      if (change) changed.push(change);
      else skipped.push({ groupId: group.id, reason: 'assignee unchanged' });
    }
    if (input.status) {
      const cfg = {
        strategy: input.status.strategy ?? 'resolve',
        resolveArchived: true,
        archiveSubstatus: input.status.archiveSubstatus,
      };
      const out = await applyStatusToGroup(trx, group, input.status.target, cfg, input.source);
      if ('kind' in out) changed.push(out);
      else skipped.push(out);
    }
    return { changed, skipped };
  });
}
