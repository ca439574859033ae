/**
 * `postDiscordAlert` (workflow id `alert-<request id>`): posts a group's alert to a Discord channel as the
 * bot, then records the message (chat_messages) so every later change refreshes it in place. The post is
 * idempotent per request (outbound_messages key `alert:<requestId>` + Discord nonce), the record per message.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { PostAlertInput } from './chat-contracts';
import { step } from './proxies';
import { SA } from './shared';
import { withOutcome } from './steps';

export async function postDiscordAlert(
  input: PostAlertInput
): Promise<{ outcome: 'applied'; chatMessageId: number; messageId: string }> {
  try {
    const { messageId } = await step('discord', 'discordPostAlert', `Post the alert of group ${input.groupId}`, {
      requestId: input.requestId,
      groupId: input.groupId,
      integrationId: input.integrationId,
      channelId: input.channelId,
    });
    const { chatMessageId } = await step('tracker', 'trackerRecordChatMessage', 'Remember the alert message', {
      groupId: input.groupId,
      integrationId: input.integrationId,
      provider: 'discord',
      channelId: input.channelId,
      messageId,
    });
    return withOutcome({ outcome: 'applied' as const, chatMessageId, messageId });
  } catch (err) {
    upsertSearchAttributes([{ key: SA.Outcome, value: 'failed' }]);
    throw err;
  }
}
