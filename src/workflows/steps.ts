/**
 * Workflow-side sequences shared by the Jira, Discord and Teams workflows: after groups changed, invalidate
 * their caches and refresh every chat message that shows them. Deterministic orchestration only.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { ChangeSource, GroupChange, GroupSkip } from '../domain/model';
import { step } from './proxies';

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** A failure's message for a person (activity failures carry the provider's status, never secrets). */
export function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure) {
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
