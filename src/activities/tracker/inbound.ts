/**
 * Inbound (Jira → tracker) application under the per-external-issue watermark. For each linked external issue,
 * one transaction: lock the row (FOR UPDATE, ordered by id), skip when the event is older than the watermark,
 * apply to every linked group, advance the watermark — even when nothing could be applied — and commit.
 * Checking and applying under the same lock is what keeps a late, older event from overwriting a newer one.
 */
import type { Knex } from 'knex';
import type {
  ApplyResult,
  AssigneeTarget,
  ChangeSource,
  GroupChange,
  GroupSkip,
  ResolutionStrategy,
  StatusTarget,
} from '../../domain/model';
import { LINKED_TYPE_EXTERNAL_ISSUE } from '../../domain/model';
import { isStale, nextWatermark, noAssigneeReason, pickAssignee } from '../../domain/rules';
import type { ResolvedAssignee } from './assign';
import { applyAssigneeToGroup } from './assign';
import { candidatesByActor, candidatesByEmail, candidatesFor } from './candidates';
import type { LockedGroup } from './rows';
import { lockGroup } from './rows';
import { applyStatusToGroup } from './status';

type Watermark = 'assignee_updated_at' | 'status_updated_at';

interface LockedIssue {
  id: number;
  organizationId: number;
  integrationId: number;
  watermark: Date | null;
}

async function lockIssue(trx: Knex.Transaction, id: number, column: Watermark): Promise<LockedIssue | null> {
  const row = await trx('external_issues')
    .where('id', id)
    .forUpdate()
    .first('id', 'organization_id', 'integration_id', column);
  if (!row) return null;
  return {
    id: Number(row.id),
    organizationId: Number(row.organization_id),
    integrationId: Number(row.integration_id),
    watermark: (row[column] as Date | null) ?? null,
  };
}

async function linkedGroupIds(trx: Knex, issue: LockedIssue): Promise<number[]> {
  const rows = await trx('group_links as gl')
    .join('groups as g', 'g.id', 'gl.group_id')
    .join('projects as p', 'p.id', 'g.project_id')
    .where({
      'gl.linked_type': LINKED_TYPE_EXTERNAL_ISSUE,
      'gl.linked_id': issue.id,
      'p.organization_id': issue.organizationId,
    })
    .orderBy('g.id')
    .select('g.id');
  return rows.map((r: { id: string | number }) => Number(r.id));
}

type PerGroup = (
  trx: Knex.Transaction,
  group: LockedGroup,
  issue: LockedIssue
) => Promise<GroupChange | GroupSkip | null>;

/** Runs `perGroup` for every group of every external issue, each issue in its own locked transaction. */
async function underWatermark(
  db: Knex,
  externalIssueIds: readonly number[],
  column: Watermark,
  eventAt: string | null,
  staleReason: string,
  perGroup: PerGroup
): Promise<ApplyResult> {
  const changed: GroupChange[] = [];
  const skipped: GroupSkip[] = [];
  for (const id of [...externalIssueIds].sort((a, b) => a - b)) {
    await db.transaction(async (trx) => {
      const issue = await lockIssue(trx, id, column);
      if (!issue) return;
      const groupIds = await linkedGroupIds(trx, issue);
      if (isStale(eventAt, issue.watermark)) {
        for (const g of groupIds) skipped.push({ groupId: g, reason: staleReason });
        return;
      }
      for (const groupId of groupIds) {
        const group = await lockGroup(trx, groupId);
        if (!group) continue;
        const out = await perGroup(trx, group, issue);
        if (out && 'kind' in out) changed.push(out);
        else if (out) skipped.push(out);
      }
      const next = nextWatermark(eventAt, issue.watermark);
      if (next)
        await trx('external_issues')
          .where('id', issue.id)
          .update({ [column]: next });
    });
  }
  return { changed, skipped };
}

async function resolveForGroup(
  trx: Knex,
  target: AssigneeTarget | null,
  group: LockedGroup
): Promise<ResolvedAssignee | GroupSkip> {
  if (target == null) return { groupId: group.id, reason: 'no email for the Jira assignee' };
  if (target.kind === 'none' || target.kind === 'team') return target;
  const candidates =
    target.kind === 'user'
      ? await candidatesFor(trx, [target.userId], group)
      : target.kind === 'actor'
        ? await candidatesByActor(trx, target.accountId, group)
        : await candidatesByEmail(trx, target.emailSha256, group);
  const userId = pickAssignee(candidates);
  return userId == null ? { groupId: group.id, reason: noAssigneeReason(candidates) } : { kind: 'user', userId };
}

/** Remembers accountId → user once an email match succeeded, so assignee sync keeps working when Jira hides emails. */
async function learnActor(trx: Knex, issue: LockedIssue, accountId: string, userId: number): Promise<void> {
  await trx('external_actors')
    .insert({
      organization_id: issue.organizationId,
      integration_id: issue.integrationId,
      user_id: userId,
      external_id: accountId,
    })
    .onConflict(['integration_id', 'organization_id', 'external_id'])
    .ignore();
}

export interface InboundAssigneeInput {
  readonly externalIssueIds: readonly number[];
  readonly eventAt: string | null;
  /** null: the assignee could not be resolved; the watermark still advances. */
  readonly target: AssigneeTarget | null;
  readonly source: ChangeSource;
}

export async function applyInboundAssignee(db: Knex, input: InboundAssigneeInput): Promise<ApplyResult> {
  const stale = 'stale: newer assignee change already applied';
  return underWatermark(
    db,
    input.externalIssueIds,
    'assignee_updated_at',
    input.eventAt,
    stale,
    async (trx, group, issue) => {
      const resolved = await resolveForGroup(trx, input.target, group);
      if ('reason' in resolved) return resolved;
      if (input.target?.kind === 'email' && input.target.accountId && resolved.kind === 'user') {
        await learnActor(trx, issue, input.target.accountId, resolved.userId);
      }
      return (
        (await applyAssigneeToGroup(trx, group, resolved, input.source)) ?? {
          groupId: group.id,
          reason: 'already up to date',
        }
      );
    }
  );
}

export interface InboundStatusInput {
  readonly externalIssueIds: readonly number[];
  readonly eventAt: string | null;
  readonly target: StatusTarget;
  readonly source: ChangeSource;
  /** Per organization: resolution strategy and the archived policy. */
  readonly orgConfig: Readonly<Record<string, { strategy: ResolutionStrategy; resolveArchived: boolean }>>;
}

export async function applyInboundStatus(db: Knex, input: InboundStatusInput): Promise<ApplyResult> {
  const stale = 'stale: newer status change already applied';
  return underWatermark(db, input.externalIssueIds, 'status_updated_at', input.eventAt, stale, async (trx, group) => {
    const cfg = input.orgConfig[String(group.organizationId)] ?? { strategy: 'resolve', resolveArchived: false };
    return applyStatusToGroup(trx, group, input.target, cfg, input.source);
  });
}
