/**
 * What every chat action run (discordInteraction, teamsCardAction) shares, so both say and record the same
 * things the same way: chat answers that never fail the change (`tolerated`), the finish step with its search
 * attributes, the `identityLinked` wait, and the tail after a change is applied (Jira pushes, outcome, reason).
 * Deterministic orchestration only; moving these steps here does not change the commands a run schedules.
 */
import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ApplyResult, AssigneeChoice, ChangeSource, Outcome, StatusRequest } from '../domain/model';
import { parseAssigneeValue, resolveStrategyOf } from '../domain/requests';
import type { ChatAction, ChatActionResult } from './chat-contracts';
import { identityLinkedSignal } from './chat-contracts';
import { outboundKinds, pushToLinkedIssues } from './jira-push';
import { step } from './proxies';
import { SA } from './shared';
import { failureReason, failureType, reasonsOf } from './steps';

/** What a ChatAction asks of the hub, or why it cannot be asked. */
export type MappedAction =
  | { readonly ok: true; readonly assignee?: AssigneeChoice; readonly status?: StatusRequest }
  | { readonly ok: false; readonly reason: string };

/** ChatAction → AssigneeChoice / StatusRequest (assign values: `user:<id>`, `team:<id>`, `none`). */
export function mapAction(action: ChatAction): MappedAction {
  switch (action.kind) {
    case 'assign': {
      const assignee = parseAssigneeValue(action.value);
      return assignee ? { ok: true, assignee } : { ok: false, reason: 'invalid assignee value' };
    }
    case 'resolve': {
      const strategy = resolveStrategyOf(action.value);
      if (!strategy) return { ok: false, reason: 'invalid resolve value' };
      return { ok: true, status: { target: 'resolved', strategy } };
    }
    case 'unresolve':
    case 'mark_ongoing':
      return { ok: true, status: { target: 'unresolved' } };
    case 'archive':
      return { ok: true, status: { target: 'ignored', archiveSubstatus: 'archived_until_escalating' } };
    default:
      return { ok: false, reason: 'unknown action' };
  }
}

/** Why a chat action's preconditions failed, in words for the person who clicked. */
export type CheckMessages = Readonly<Record<'group' | 'integration' | 'membership', string>>;

export interface ApplyChatActionInput {
  readonly integrationId: number;
  readonly groupId: number;
  readonly userId: number;
  readonly action: ChatAction;
  readonly source: ChangeSource;
  /** The UI summaries of the check and the apply step (kept as each workflow always wrote them). */
  readonly summaries: { readonly check: string; readonly apply: string };
  readonly checkMessages: CheckMessages;
  /** Tells the person why nothing happened (a tolerated chat answer). */
  readonly tell: (what: string, text: string) => Promise<unknown>;
}

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
  /**
   * The common middle of a chat action: membership and group check, the action mapped for the hub, the apply
   * (source = the chat). A refusal or an invalid action/assignee is told to the person and ends the run `skipped`.
   */
  readonly applyChatAction: (
    input: ApplyChatActionInput
  ) => Promise<{ readonly applied: ApplyResult } | { readonly skipped: ChatActionResult }>;
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

  const skipped = (reason: string, userId: number | null): Promise<ChatActionResult> =>
    finish({ outcome: 'skipped', reason: [reason, ...problems].join('; '), changes: [], userId });

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
    skipped,
    waitForLink: (timeout) => condition(() => linkedUserId !== null, timeout),
    applyChatAction: async (i) => {
      const skip = async (what: string, text: string, reason: string) => {
        await i.tell(what, text);
        return { skipped: await skipped(reason, i.userId) };
      };
      const check = await step('tracker', 'trackerCheckChatAction', i.summaries.check, {
        integrationId: i.integrationId,
        groupId: i.groupId,
        userId: i.userId,
      });
      if (!check.ok) return skip(`refused (${check.problem})`, i.checkMessages[check.problem], check.reason);
      const mapped = mapAction(i.action);
      if (!mapped.ok) {
        return skip('invalid action', `That action could not be applied: ${mapped.reason}.`, mapped.reason);
      }
      try {
        const applied = await step('tracker', 'trackerApplyGroupChange', i.summaries.apply, {
          groupId: i.groupId,
          assignee: mapped.assignee,
          status: mapped.status,
          source: i.source,
        });
        return { applied };
      } catch (err) {
        if (failureType(err) !== 'InvalidAssignee') throw err;
        const reason = failureReason(err);
        return skip('invalid assignee', `Could not assign: ${reason}.`, reason);
      }
    },
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
