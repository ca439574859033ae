/**
 * Workflow-side sequences shared by the Jira, Discord and Teams workflows: after groups changed, invalidate
 * their caches and refresh every chat message that shows them. Deterministic orchestration only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  executeChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ChangeSource, GroupChange, GroupSkip } from '../domain/model';
import { step } from './proxies';
import type { OutboundPushInput, PushResult } from './shared';
import { SA } from './shared';

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** A failure's message for a person (activity failures carry the provider's status, never secrets). */
export function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) {
    const cause = err.cause;
    return cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The failure type of a failed activity (ApplicationFailure.type), if any. */
export function failureType(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure
    ? (err.cause.type ?? undefined)
    : undefined;
}

/** Distinct skip reasons, in order, joined for the delivery row. */
export function reasonsOf(
  skips: readonly GroupSkip[],
  extra: ReadonlyArray<string | null | undefined> = []
): string | null {
  const all = unique([...extra.filter((r): r is string => !!r), ...skips.map((s) => s.reason)]);
  return all.length > 0 ? all.join('; ') : null;
}

/**
 * Caches, then chat messages, for every changed group. A chat failure does not undo the change: it is
 * returned as a reason so the delivery says what was not refreshed.
 */
export async function afterGroupChanges(changes: readonly GroupChange[], source: ChangeSource): Promise<string[]> {
  if (changes.length === 0) return [];
  const groupIds = unique(changes.map((c) => c.groupId));
  await step('cache', 'cacheInvalidateGroups', `Invalidate caches of groups ${groupIds.join(', ')}`, { groupIds });
  const messages = await step(
    'tracker',
    'trackerListChatMessages',
    `Find chat messages of ${groupIds.length} group(s)`,
    {
      groupIds,
    }
  );
  const problems: string[] = [];
  await Promise.all(
    messages
      .filter((m) => m.provider === 'discord') // Teams cards are refreshed once the Teams notifier lands.
      .map(async (m) => {
        try {
          await step('discord', 'discordRefreshAlert', `Refresh Discord alert of group ${m.groupId}`, {
            chatMessageId: m.id,
          });
          for (const c of changes.filter((x) => x.groupId === m.groupId)) {
            await step('discord', 'discordPostReply', `Reply on Discord: group ${m.groupId} ${c.kind}`, {
              chatMessageId: m.id,
              notice: {
                kind: c.kind,
                assigneeName: c.assigneeName,
                assigneeType: c.assigneeType,
                source: { provider: source.provider, label: source.label },
              },
              idempotencyKey: `${source.provider}:${source.key}:${m.id}:${c.kind}`,
            });
          }
        } catch (err) {
          problems.push(`Discord message of group ${m.groupId} not refreshed: ${failureReason(err)}`);
        }
      })
  );
  return problems;
}

const CHILD_TYPE = { assignee: 'syncAssigneeToJira', status: 'syncStatusToJira' } as const;

/**
 * Outbound fan-out after a change: one child workflow per linked Jira issue (assignee and/or status), in
 * orgs with the forward flags, never back to the integration the change came from. Children read the
 * group's current state when they run. Returns each push's result (a failed child is reported, not thrown).
 */
export async function pushToLinkedIssues(
  groupId: number,
  kinds: Array<'assignee' | 'status'>,
  source: ChangeSource,
  extra: { previousAssigneeType?: 'user' | 'team'; mode?: 'change' | 'initial'; onlyExternalIssueId?: number } = {}
): Promise<Array<PushResult & { kind: string; key: string }>> {
  if (kinds.length === 0) return [];
  const plan = await step(
    'tracker',
    'trackerPlanOutbound',
    `Plan Jira pushes (${kinds.join(', ')}) for group ${groupId}`,
    {
      groupId,
      kinds,
      source,
      onlyExternalIssueId: extra.onlyExternalIssueId,
    }
  );
  const skipped = plan.skipped.map((reason) => ({ outcome: 'skipped' as const, reason, kind: 'plan', key: '' }));
  const pushed = await Promise.all(
    plan.targets.map(async (t) => {
      const kind = t.kind as 'assignee' | 'status';
      const args: OutboundPushInput = {
        groupId,
        externalIssueId: t.externalIssueId,
        key: t.key,
        integrationId: t.integrationId,
        ...extra,
      };
      try {
        const r = await executeChild(CHILD_TYPE[kind], {
          workflowId: `${workflowInfo().workflowId}-${kind}-${t.externalIssueId}`,
          args: [args],
          staticSummary: `Push ${kind} of group ${groupId} to Jira ${t.key}`,
          typedSearchAttributes: [
            { key: SA.Provider, value: 'jira' },
            { key: SA.IntegrationId, value: String(t.integrationId) },
            { key: SA.ExternalIssueKey, value: t.key },
            { key: SA.GroupIds, value: [String(groupId)] },
          ],
        });
        return { ...(r as PushResult), kind, key: t.key };
      } catch (err) {
        return { outcome: 'failed' as const, reason: failureReason(err), kind, key: t.key };
      }
    })
  );
  return [...skipped, ...pushed];
}

/** Which outbound kinds a set of changes calls for (archive is never pushed). */
export function outboundKinds(changes: readonly GroupChange[]): Array<'assignee' | 'status'> {
  const kinds: Array<'assignee' | 'status'> = [];
  if (changes.some((c) => c.kind === 'assigned' || c.kind === 'unassigned')) kinds.push('assignee');
  if (changes.some((c) => c.kind !== 'assigned' && c.kind !== 'unassigned' && c.kind !== 'archived'))
    kinds.push('status');
  return kinds;
}
