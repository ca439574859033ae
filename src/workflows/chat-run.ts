/**
 * What every chat action run (discordInteraction, teamsCardAction) shares, so both say and record the same
 * things the same way: chat answers that never fail the change (`tolerated`), the finish step with its search
 * attributes, the `identityLinked` wait, and the tail after a change is applied (Jira pushes, outcome, reason).
 * Deterministic orchestration only; moving these steps here does not change the commands a run schedules.
 */
import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ApplyResult, ChangeSource, Outcome } from '../domain/model';
import type { ChatActionResult } from './chat-contracts';
import { identityLinkedSignal } from './chat-contracts';
import { outboundKinds, pushToLinkedIssues } from './jira-push';
import { step } from './proxies';
import { SA } from './shared';
import { failureReason, reasonsOf } from './steps';

export interface ChatRun {
  /** Chat answers that failed (sent, edited, updated): reasons on the delivery, never a failed change. */
  readonly problems: string[];
  /** Runs a chat answer; a failure becomes a reason (`what: why`) and null. */
  readonly tolerated: <T>(what: string, run: () => Promise<T>) => Promise<T | null>;
  readonly markRunning: () => Promise<void>;
  /** Sets Outcome and GroupIds, marks the delivery, returns the result. */
  readonly finish: (result: ChatActionResult) => Promise<ChatActionResult>;
  /** `skipped` with the reason and every chat problem so far. */
  readonly skipped: (reason: string, userId: number | null) => Promise<ChatActionResult>;
  /** Waits for `identityLinked` (registered when the run started) up to `timeout`; true when it came. */
  readonly waitForLink: (timeout: Duration) => Promise<boolean>;
  /** After the apply: Jira pushes, then `applied` (something changed) or `skipped`, with every reason. */
  readonly finishApplied: (
    applied: ApplyResult,
    source: ChangeSource,
    problems: string[],
    userId: number
  ) => Promise<ChatActionResult>;
}

export function startChatRun(input: { readonly deliveryId: number; readonly groupId: number }): ChatRun {
  const problems: string[] = [];
  let linkedUserId: number | null = null;
  setHandler(identityLinkedSignal, ({ userId }) => {
    linkedUserId = userId;
  });

  const finish = async (result: ChatActionResult): Promise<ChatActionResult> => {
    upsertSearchAttributes([
      { key: SA.Outcome, value: result.outcome },
      { key: SA.GroupIds, value: [String(input.groupId)] },
    ]);
    await step('tracker', 'trackerFinishDelivery', `Mark delivery ${input.deliveryId} ${result.outcome}`, {
      deliveryId: input.deliveryId,
      outcome: result.outcome,
      reason: result.reason,
      groupIds: [input.groupId],
    });
    return result;
  };

  return {
    problems,
    tolerated: async <T>(what: string, run: () => Promise<T>): Promise<T | null> => {
      try {
        return await run();
      } catch (err) {
        problems.push(`${what}: ${failureReason(err)}`);
        return null;
      }
    },
    markRunning: async () => {
      await step('tracker', 'trackerMarkDeliveryRunning', `Delivery ${input.deliveryId} is running`, {
        deliveryId: input.deliveryId,
      });
    },
    finish,
    skipped: (reason, userId) =>
      finish({ outcome: 'skipped', reason: [reason, ...problems].join('; '), changes: [], userId }),
    waitForLink: (timeout) => condition(() => linkedUserId !== null, timeout),
    finishApplied: async (applied, source, afterProblems, userId) => {
      const previous = applied.changed.find(
        (c) => c.kind === 'assigned' || c.kind === 'unassigned'
      )?.previousAssigneeType;
      const pushes = await pushToLinkedIssues(input.groupId, outboundKinds(applied.changed), source, {
        previousAssigneeType: previous,
      });
      for (const p of pushes)
        if (p.outcome === 'failed') afterProblems.push(`${p.kind} not pushed to ${p.key}: ${p.reason ?? 'failed'}`);
      const outcome: Outcome = applied.changed.length > 0 ? 'applied' : 'skipped';
      return finish({
        outcome,
        reason: reasonsOf(applied.skipped, [...problems, ...afterProblems]),
        changes: applied.changed.map((c) => ({ kind: c.kind, assigneeName: c.assigneeName })),
        userId,
      });
    },
  };
}
