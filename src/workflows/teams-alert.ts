/**
 * `postTeamsAlert` (workflow id `alert-<request id>`): posts a group's card to a Teams conversation as the bot,
 * then records it (chat_messages with service_url, conversation_id, message_id) so every later change, from any
 * source, rebuilds and updates the card in place. The post happens at most once per request.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { PostTeamsAlertInput } from './chat-contracts';
import { step } from './proxies';
import { SA } from './shared';
import { withOutcome } from './steps';

export async function postTeamsAlert(
  input: PostTeamsAlertInput
): Promise<{ outcome: 'applied'; chatMessageId: number; messageId: string }> {
  try {
    const posted = await step('msteams', 'msteamsPostAlert', `Post the card of group ${input.groupId}`, {
      requestId: input.requestId,
      groupId: input.groupId,
      integrationId: input.integrationId,
      conversationId: input.conversationId,
    });
    const { chatMessageId } = await step('tracker', 'trackerRecordChatMessage', 'Remember the card', {
      groupId: input.groupId,
      integrationId: input.integrationId,
      provider: 'msteams',
      channelId: input.conversationId,
      messageId: posted.messageId,
      serviceUrl: posted.serviceUrl,
      conversationId: input.conversationId,
    });
    return withOutcome({ outcome: 'applied' as const, chatMessageId, messageId: posted.messageId });
  } catch (err) {
    upsertSearchAttributes([{ key: SA.Outcome, value: 'failed' }]);
    throw err;
  }
}
