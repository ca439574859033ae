/**
 * Workflow-side sequences shared by the Jira, Discord and Teams workflows: after groups changed, invalidate
 * their caches and refresh every chat message that shows them (through the provider's notifier); failure
 * wording. The pushes to linked Jira issues are in jira-push.ts. Deterministic orchestration only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ChatMessageRef } from '../activities/tracker/chat';
import type { ChangeSource, ChatProvider, GroupChange, GroupSkip, Outcome } from '../domain/model';
import { NOTIFIERS } from './notifiers';
import { step } from './proxies';
import { PROVIDER_NAMES, SA } from './shared';

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** What a database failure says: `database error (<SQLSTATE>)` (activities/failures.ts databaseFailure). */
const DATABASE_REASON = /^database error \([0-9A-Z]{5}\)$/;

/** A statement as knex puts it at the start of an error message (`update "x" set … - <pg message>`). */
const SQL_TEXT = /^\s*(select|insert|update|delete|with|begin|commit|rollback|alter|create|drop|lock|truncate)\s/i;

/**
 * A failure's message for a person: the innermost cause's (a failed push child wraps its activity's failure,
 * which wraps the provider's answer). Activity failures carry the provider's status, never secrets. A database
 * error never shows its text (knex puts the statement and its values into it): it reads `database error`, with
 * the SQLSTATE when the activity said which.
 */
export function failureReason(err: unknown): string {
  let e = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  const message = e instanceof Error ? e.message : String(e);
  const isDatabase = e instanceof ApplicationFailure && e.type === 'DatabaseError';
  if (isDatabase && DATABASE_REASON.test(message)) return message;
  if (isDatabase || SQL_TEXT.test(message)) return 'database error';
  return message;
}

/**
 * The failure type of a failed activity (ApplicationFailure.type), if any. A regular activity fails with an
 * ActivityFailure around the ApplicationFailure; a local activity's final failure is the ApplicationFailure itself.
 */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** Distinct skip reasons, in order, joined for the delivery row. */
export function reasonsOf(
  skips: readonly GroupSkip[],
  extra: ReadonlyArray<string | null | undefined> = []
): string | null {
  const all = unique([...extra.filter((r): r is string => !!r), ...skips.map((s) => s.reason)]);
  return all.length > 0 ? all.join('; ') : null;
}

/** Sets the run's Outcome search attribute from its result and returns the result. */
export function withOutcome<T extends { readonly outcome: Outcome }>(result: T): T {
  upsertSearchAttributes([{ key: SA.Outcome, value: result.outcome }]);
  return result;
}

export interface AfterChangesOptions {
  /**
   * A chat message the calling run updates itself (the Discord message a person clicked, edited through the
   * interaction's webhook): neither refreshed nor replied to here. Filtering happens in workflow code, so runs
   * without it schedule exactly the commands they always did.
   */
  readonly exclude?: { readonly provider: ChatProvider; readonly messageId: string };
}

/**
 * Caches, then chat messages, for every changed group: each message's provider notifier refreshes it and
 * replies once per change. A chat failure does not undo the change: it is returned as a reason so the run
 * says what was not refreshed, as is a message whose provider has no notifier.
 */
export async function afterGroupChanges(
  changes: readonly GroupChange[],
  source: ChangeSource,
  options: AfterChangesOptions = {}
): Promise<string[]> {
  if (changes.length === 0) return [];
  const groupIds = unique(changes.map((c) => c.groupId));
  await step('cache', 'cacheInvalidateGroups', `Invalidate caches of groups ${groupIds.join(', ')}`, { groupIds });
  const listed = await step('tracker', 'trackerListChatMessages', `Find chat messages of ${groupIds.length} group(s)`, {
    groupIds,
  });
  const skip = options.exclude;
  const messages = skip
    ? listed.filter((m) => !(m.provider === skip.provider && m.messageId === skip.messageId))
    : listed;
  const problems = unnotified(messages);
  await Promise.all(
    messages.map(async (m) => {
      const notifier = NOTIFIERS[m.provider];
      if (!notifier) return;
      try {
        await notifier.refresh(m);
        for (const c of changes.filter((x) => x.groupId === m.groupId)) await notifier.reply(m, c, source);
      } catch (err) {
        problems.push(
          `${PROVIDER_NAMES[m.provider]} message of group ${m.groupId} not refreshed: ${failureReason(err)}`
        );
      }
    })
  );
  return problems;
}

/** One reason per chat provider that has messages but no notifier yet. */
function unnotified(messages: readonly ChatMessageRef[]): string[] {
  const missing = unique(messages.filter((m) => !NOTIFIERS[m.provider]).map((m) => m.provider));
  return missing.map((p) => {
    const count = messages.filter((m) => m.provider === p).length;
    return `${count} ${PROVIDER_NAMES[p]} message(s) not refreshed: no ${p} notifier yet`;
  });
}
