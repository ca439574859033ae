/** Recording where a group's alert was posted (chat_messages), so every later change refreshes it in place. */
import type { Knex } from 'knex';
import type { ChatProvider } from '../../domain/model';

export interface RecordChatMessageInput {
  readonly groupId: number;
  readonly integrationId: number;
  readonly provider: ChatProvider;
  readonly channelId: string;
  readonly messageId: string;
  readonly serviceUrl?: string | null;
  readonly conversationId?: string | null;
}

/**
 * Inserts the chat_messages row once: a retry finds the row by its unique key (provider, channel, message)
 * and returns the same id.
 */
export async function recordChatMessage(db: Knex, input: RecordChatMessageInput): Promise<{ chatMessageId: number }> {
  const key = { provider: input.provider, channel_id: input.channelId, message_id: input.messageId };
  const inserted = await db('chat_messages')
    .insert({
      ...key,
      group_id: input.groupId,
      integration_id: input.integrationId,
      service_url: input.serviceUrl ?? null,
      conversation_id: input.conversationId ?? null,
    })
    .onConflict(['provider', 'channel_id', 'message_id'])
    .ignore()
    .returning('id');
  if (inserted.length > 0) return { chatMessageId: Number(inserted[0].id) };
  const row = await db('chat_messages').where(key).first('id');
  return { chatMessageId: Number(row.id) };
}
