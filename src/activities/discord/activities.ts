/**
 * Discord activities: refresh an alert message in place so it shows the new assignee/status, and post a
 * short reply under it. The reply is posted at most once: checked in outbound_messages before the POST, and
 * sent with a nonce + enforce_nonce so Discord itself drops a retry that raced our record.
 */
import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';
import { sha256Hex } from '../../domain/hash';
import { findOutbound, getChatMessage, recordOutbound } from '../tracker/chat';
import { loadGroupView } from '../tracker/group-view';
import type { ChatMessageRef } from '../tracker/chat';
import { toFailure } from '../failures';
import type { ChangeNotice } from '../chat/wording';
import type { PostAlertMessageInput } from './alerts';
import { postAlertMessage } from './alerts';
import { buildAlertMessage, buildChangeReply } from './messages';
import type { DiscordClient } from './client';

export interface DiscordDeps {
  readonly db: Knex;
  readonly client: DiscordClient;
}

async function botTokenOf(db: Knex, integrationId: number): Promise<string> {
  const row = await db('integrations').where({ id: integrationId, provider: 'discord' }).first('metadata');
  const token = (row?.metadata as Record<string, unknown> | undefined)?.bot_token;
  if (typeof token !== 'string' || token === '') {
    throw ApplicationFailure.nonRetryable(
      `Discord integration ${integrationId} has no bot token`,
      'IntegrationMisconfigured'
    );
  }
  return token;
}

async function chatMessage(db: Knex, id: number): Promise<ChatMessageRef> {
  const m = await getChatMessage(db, id);
  if (!m) throw ApplicationFailure.nonRetryable(`chat message ${id} no longer exists`, 'NotFound');
  return m;
}

/** Discord nonces are at most 25 characters: a hash prefix of the idempotency key. */
export function discordNonce(idempotencyKey: string): string {
  return sha256Hex(idempotencyKey).slice(0, 25);
}

export function createDiscordActivities({ db, client }: DiscordDeps) {
  return {
    async discordRefreshAlert(input: { chatMessageId: number }): Promise<void> {
      const m = await chatMessage(db, input.chatMessageId);
      const group = await loadGroupView(db, m.groupId);
      if (!group) throw ApplicationFailure.nonRetryable(`group ${m.groupId} no longer exists`, 'NotFound');
      const token = await botTokenOf(db, m.integrationId);
      const body = buildAlertMessage({
        ...group,
        assignee: group.assignee ? { type: group.assignee.type, name: group.assignee.name } : null,
      });
      try {
        await client.editChannelMessage(token, m.channelId, m.messageId, body);
      } catch (err) {
        throw toFailure(err);
      }
    },
    async discordPostReply(input: {
      chatMessageId: number;
      notice: ChangeNotice;
      idempotencyKey: string;
    }): Promise<{ messageId: string; alreadySent: boolean }> {
      const existing = await findOutbound(db, input.idempotencyKey);
      if (existing) return { messageId: existing, alreadySent: true };
      const m = await chatMessage(db, input.chatMessageId);
      const token = await botTokenOf(db, m.integrationId);
      let created: { id: string };
      try {
        created = await client.createChannelMessage(token, m.channelId, {
          content: buildChangeReply(input.notice),
          message_reference: { message_id: m.messageId, channel_id: m.channelId, fail_if_not_exists: false },
          allowed_mentions: { parse: [] },
          nonce: discordNonce(input.idempotencyKey),
        });
      } catch (err) {
        throw toFailure(err);
      }
      await recordOutbound(db, {
        key: input.idempotencyKey,
        provider: 'discord',
        channelId: m.channelId,
        messageId: created.id,
      });
      return { messageId: created.id, alreadySent: false };
    },
    /** Posts a group's alert to a channel once per request (see alerts.ts). */
    async discordPostAlert(input: PostAlertMessageInput): Promise<{ messageId: string; alreadySent: boolean }> {
      return postAlertMessage({ db, client, botTokenOf: (id) => botTokenOf(db, id), nonce: discordNonce }, input);
    },
  };
}

export type DiscordActivities = ReturnType<typeof createDiscordActivities>;
