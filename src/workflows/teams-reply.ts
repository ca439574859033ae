/**
 * teamsReply: one run per Teams message that needs an answer but changes no group (id `msteams-<activity id>`):
 * the personal commands `help`, `link`, `unlink` (anything else gets "Sorry, I didn't understand" and the help),
 * a mention of the bot in a channel (commands only work in a personal chat), and the bot being added to a team
 * (a welcome card). `unlink` removes the link (a change, so it is durable like every other); `link` sends a
 * signed link card unless the user is linked already.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { TeamsContent } from '../activities/msteams/activities';
import type { Outcome } from '../domain/model';
import type { TeamsReplyInput } from './chat-contracts';
import { step } from './proxies';
import { SA } from './shared';
import { failureReason } from './steps';

export interface TeamsReplyResult {
  readonly outcome: Outcome;
  readonly reason: string | null;
  readonly sent: TeamsContent['kind'] | null;
}

export async function teamsReply(input: TeamsReplyInput): Promise<TeamsReplyResult> {
  const conv = input.conversation;
  const finish = async (result: TeamsReplyResult): Promise<TeamsReplyResult> => {
    upsertSearchAttributes([{ key: SA.Outcome, value: result.outcome }]);
    await step('tracker', 'trackerFinishDelivery', `Mark delivery ${input.deliveryId} ${result.outcome}`, {
      deliveryId: input.deliveryId,
      outcome: result.outcome,
      reason: result.reason,
      groupIds: [],
    });
    return result;
  };
  const send = async (content: TeamsContent, reason: string | null = null): Promise<TeamsReplyResult> => {
    await step('msteams', 'msteamsSend', `Teams reply: ${content.kind}`, {
      idempotencyKey: `msteams:${input.deliveryKey}:reply`,
      serviceUrl: conv.serviceUrl,
      conversationId: conv.conversationId,
      replyToId: null,
      content,
    });
    return finish({ outcome: 'applied', reason, sent: content.kind });
  };

  await step('tracker', 'trackerMarkDeliveryRunning', `Delivery ${input.deliveryId} is running`, {
    deliveryId: input.deliveryId,
  });
  try {
    switch (input.kind) {
      case 'help':
        return await send({ kind: 'help' });
      case 'unknown':
        return await send({ kind: 'unknown', text: input.text ?? '' });
      case 'mention':
        return await send({ kind: 'mention' });
      case 'welcome':
        return await send({ kind: 'welcome', teamName: input.text });
      case 'invalid':
        return await send(
          { kind: 'text', text: `That action could not be applied: ${input.text ?? 'the card was not understood'}.` },
          input.text
        );
      case 'link':
      case 'unlink': {
        if (input.integrationId === null) {
          return await send(
            { kind: 'text', text: 'This Microsoft Teams tenant is not connected to issue-sync yet.' },
            'no Teams integration for this tenant'
          );
        }
        const target = await step('tracker', 'trackerTeamsWorkspace', 'Find the Teams integration', {
          integrationId: input.integrationId,
        });
        if (target === null) {
          return await send(
            { kind: 'text', text: 'This Microsoft Teams tenant is not connected to issue-sync yet.' },
            `Teams integration ${input.integrationId} is not active`
          );
        }
        const who = { provider: 'msteams' as const, workspaceId: target.workspaceId, chatUserId: conv.fromId };
        if (input.kind === 'unlink') {
          const { wasLinked } = await step('tracker', 'trackerUnlinkChatIdentity', 'Unlink the Teams user', who);
          return await send({ kind: 'unlinked', wasLinked }, wasLinked ? null : 'was not linked');
        }
        const { userId } = await step('tracker', 'trackerResolveChatIdentity', 'Find the linked tracker user', who);
        if (userId !== null) return await send({ kind: 'alreadyLinked' }, 'already linked');
        return await send({ kind: 'link', integrationId: input.integrationId, chatUserId: conv.fromId });
      }
    }
  } catch (err) {
    await finish({ outcome: 'failed', reason: failureReason(err), sent: null });
    throw err;
  }
}
