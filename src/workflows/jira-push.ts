/**
 * Pushes to linked Jira issues: the fan-out every change flow ends with (one child run per linked issue) and
 * the two child workflows it starts. Each child reads the group's current state when it runs and ends with an
 * Outcome: applied, skipped (with the reason) or failed.
 */
import { executeChild, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AssigneeType, ChangeSource, GroupChange, PausedPush } from '../domain/model';
import { pushWorkflowId, searchAttributes } from './ids';
import { SA } from './shared';
import { step } from './proxies';
import type { OutboundPushInput, PushResult } from './shared';
import { failureReason, withOutcome } from './steps';

export type PushKind = 'assignee' | 'status';

/** How long a push waits before asking again whether its paused Jira site was resumed (10 times, then every 5 minutes). */
export const PAUSED_RECHECK = ['10 seconds', '5 minutes'] as const;

/**
 * Runs a push; while its Jira site is paused (the activity sent nothing and answered `paused`) the run shows
 * Outcome `paused` in the UI, sleeps and asks again, so the push happens once the site is resumed. A run that was
 * never paused schedules exactly the commands it always did.
 */
async function untilNotPaused(push: () => Promise<PushResult | PausedPush>): Promise<PushResult> {
  for (let attempt = 0; ; attempt++) {
    const result = await push();
    if (result.outcome !== 'paused') return withOutcome(result);
    if (attempt === 0) upsertSearchAttributes([{ key: SA.Outcome, value: 'paused' }]);
    await sleep(attempt < 10 ? PAUSED_RECHECK[0] : PAUSED_RECHECK[1]);
  }
}

/** Pushes the group's current assignee to one linked Jira issue (workflow id `<parent>-assignee-<externalIssueId>`). */
export async function syncAssigneeToJira(input: OutboundPushInput): Promise<PushResult> {
  return untilNotPaused(() =>
    step('jira', 'jiraPushAssignee', `Push the assignee of group ${input.groupId} to ${input.key}`, {
      groupId: input.groupId,
      externalIssueId: input.externalIssueId,
      previousAssigneeType: input.previousAssigneeType,
      mode: input.mode,
    })
  );
}

/** Transitions one linked Jira issue to the status mapped for the group's status. */
export async function syncStatusToJira(input: OutboundPushInput): Promise<PushResult> {
  return untilNotPaused(() =>
    step('jira', 'jiraPushStatus', `Push the status of group ${input.groupId} to ${input.key}`, {
      groupId: input.groupId,
      externalIssueId: input.externalIssueId,
    })
  );
}

const PUSH_WORKFLOW = { assignee: syncAssigneeToJira, status: syncStatusToJira } as const;

export interface PushOptions {
  readonly previousAssigneeType?: AssigneeType;
  readonly mode?: 'change' | 'initial';
  /** Push to this linked issue only (a newly created or linked one). */
  readonly onlyExternalIssueId?: number;
}

/**
 * Outbound fan-out after a change: one child workflow per linked Jira issue (assignee and/or status), in
 * orgs with the forward flags, never back to the integration the change came from (the plan decides that).
 * Returns each push's result: a failed child is reported, not thrown.
 */
export async function pushToLinkedIssues(
  groupId: number,
  kinds: PushKind[],
  source: ChangeSource,
  extra: PushOptions = {}
): Promise<Array<PushResult & { kind: string; key: string }>> {
  if (kinds.length === 0) return [];
  const plan = await step(
    'tracker',
    'trackerPlanOutbound',
    `Plan Jira pushes (${kinds.join(', ')}) for group ${groupId}`,
    { groupId, kinds, source, onlyExternalIssueId: extra.onlyExternalIssueId }
  );
  const skipped = plan.skipped.map((reason) => ({ outcome: 'skipped' as const, reason, kind: 'plan', key: '' }));
  const pushed = await Promise.all(
    plan.targets.map(async (t) => {
      const kind = t.kind as PushKind;
      const args: OutboundPushInput = {
        groupId,
        externalIssueId: t.externalIssueId,
        key: t.key,
        integrationId: t.integrationId,
        ...extra,
      };
      try {
        const r = await executeChild(PUSH_WORKFLOW[kind], {
          workflowId: pushWorkflowId(workflowInfo().workflowId, kind, t.externalIssueId),
          args: [args],
          staticSummary: `Push ${kind} of group ${groupId} to Jira ${t.key}`,
          typedSearchAttributes: searchAttributes({
            provider: 'jira',
            integrationId: t.integrationId,
            externalIssueKey: t.key,
            groupIds: [groupId],
          }),
        });
        return { ...r, kind, key: t.key };
      } catch (err) {
        return { outcome: 'failed' as const, reason: failureReason(err), kind, key: t.key };
      }
    })
  );
  return [...skipped, ...pushed];
}

/** Which outbound kinds a set of changes calls for (archive is never pushed). */
export function outboundKinds(changes: readonly GroupChange[]): PushKind[] {
  const kinds: PushKind[] = [];
  if (changes.some((c) => c.kind === 'assigned' || c.kind === 'unassigned')) kinds.push('assignee');
  if (changes.some((c) => c.kind !== 'assigned' && c.kind !== 'unassigned' && c.kind !== 'archived'))
    kinds.push('status');
  return kinds;
}
