/**
 * Chat notifiers, one per chat provider: what a change does to a chat message that shows a changed group
 * (refresh the alert in place, then post one reply per change under it). Adding a provider is one entry in
 * {@link NOTIFIERS}; a provider without an entry is skipped with a reason, never silently.
 */
import type { ChangeSource, ChatProvider, GroupChange } from '../domain/model';
import type { ChatMessageRef } from '../activities/tracker/chat';
import { step } from './proxies';

export interface ChatNotifier {
  /** Re-renders the message so it shows the group's current status and assignee. */
  refresh(message: ChatMessageRef): Promise<unknown>;
  /** Posts a short reply under the message announcing `change`; at most once per idempotency key. */
  reply(message: ChatMessageRef, change: GroupChange, source: ChangeSource): Promise<unknown>;
}

/** One reply per change × message, whatever the provider: a retry of the workflow finds the same key. */
export function replyKey(source: ChangeSource, message: ChatMessageRef, change: GroupChange): string {
  return `${source.provider}:${source.key}:${message.id}:${change.kind}`;
}

function notice(change: GroupChange, source: ChangeSource) {
  return {
    kind: change.kind,
    assigneeName: change.assigneeName,
    assigneeType: change.assigneeType,
    source: { provider: source.provider, label: source.label },
  };
}

const discord: ChatNotifier = {
  refresh: (m) =>
    step('discord', 'discordRefreshAlert', `Refresh Discord alert of group ${m.groupId}`, { chatMessageId: m.id }),
  reply: (m, c, source) =>
    step('discord', 'discordPostReply', `Reply on Discord: group ${m.groupId} ${c.kind}`, {
      chatMessageId: m.id,
      notice: notice(c, source),
      idempotencyKey: replyKey(source, m, c),
    }),
};

const msteams: ChatNotifier = {
  refresh: (m) =>
    step('msteams', 'msteamsRefreshCard', `Refresh Teams card of group ${m.groupId}`, { chatMessageId: m.id }),
  reply: (m, c, source) =>
    step('msteams', 'msteamsPostReply', `Reply on Teams: group ${m.groupId} ${c.kind}`, {
      chatMessageId: m.id,
      notice: notice(c, source),
      idempotencyKey: replyKey(source, m, c),
    }),
};

export const NOTIFIERS: Readonly<Partial<Record<ChatProvider, ChatNotifier>>> = { discord, msteams };
