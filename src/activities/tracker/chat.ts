/** Chat messages that show a group (so changes can refresh them) and sent-message records (check-then-act). */
import type { ChatProvider } from '../../domain/model';
import type { Knex } from 'knex';

export interface ChatMessageRef {
  readonly id: number;
  readonly groupId: number;
  readonly integrationId: number;
  readonly provider: ChatProvider;
  readonly channelId: string;
  readonly messageId: string;
  readonly serviceUrl: string | null;
  readonly conversationId: string | null;
}

function toRef(r: Record<string, unknown>): ChatMessageRef {
  return {
    id: Number(r.id),
    groupId: Number(r.group_id),
    integrationId: Number(r.integration_id),
    provider: r.provider as ChatProvider,
    channelId: String(r.channel_id),
    messageId: String(r.message_id),
    serviceUrl: (r.service_url as string | null) ?? null,
    conversationId: (r.conversation_id as string | null) ?? null,
  };
}

export async function listChatMessages(db: Knex, groupIds: readonly number[]): Promise<ChatMessageRef[]> {
  if (groupIds.length === 0) return [];
  const rows = await db('chat_messages').whereIn('group_id', groupIds).orderBy('id');
  return rows.map(toRef);
}

export async function getChatMessage(db: Knex, id: number): Promise<ChatMessageRef | null> {
  const row = await db('chat_messages').where('id', id).first();
  return row ? toRef(row as Record<string, unknown>) : null;
}

/** Check-then-act for chat posts: the message this idempotency key already produced, if any. */
export async function findOutbound(db: Knex, key: string): Promise<string | null> {
  const row = await db('outbound_messages').where('idempotency_key', key).first('message_id');
  return row ? String(row.message_id) : null;
}

export async function recordOutbound(
  db: Knex,
  rec: { key: string; provider: ChatProvider; channelId: string; messageId: string }
): Promise<void> {
  await db('outbound_messages')
    .insert({ idempotency_key: rec.key, provider: rec.provider, channel_id: rec.channelId, message_id: rec.messageId })
    .onConflict('idempotency_key')
    .ignore();
}
