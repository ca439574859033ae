/**
 * teamsCardAction: one run per Teams card action (id `msteams-<activity id>`, SPEC §3.4), the message-event flow
 * of the seed: identify the action (the API did), process it, update the group, build the card, update it.
 *
 * 1. Checks the card's integration (active, the activity's tenant) and the group (in an org that installed it).
 *    A failure → a reply under the card, delivery `skipped`.
 * 2. Finds the tracker user linked to `from.id`. None → the linking card goes to the user's personal chat
 *    (opened with `POST /v3/conversations` when the click came from a channel), the run waits up to 24 hours for
 *    `identityLinked`, re-reads the link and applies the remembered action (Sentry drops it).
 * 3. Checks membership (a non-member gets a reply; `skipped` with the reason), applies the change through the
 *    same hub as groupUpdate (source `msteams`), updates the clicked card in place with the group's new state,
 *    refreshes the group's other chat messages and caches, and pushes to linked Jira issues.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { TeamsContent } from '../activities/msteams/activities';
import type { ChangeSource } from '../domain/model';
import type { ChatAction, ChatActionResult, TeamsCardAction, TeamsCardActionInput } from './chat-contracts';
import { startChatRun } from './chat-run';
import { step } from './proxies';
import { afterGroupChanges, failureReason, reasonsOf } from './steps';

/** How long a run waits for its user to link (a Teams card, unlike a Discord token, does not expire). */
export const TEAMS_LINK_WAIT = '24 hours';

/** A Teams action as the hub's chat vocabulary; `ME` becomes the linked user. */
export function chatActionOf(action: TeamsCardAction, userId: number): ChatAction {
  switch (action.kind) {
    case 'assign':
      return { kind: 'assign', value: action.value === 'ME' ? `user:${userId}` : action.value };
    case 'unassign':
      return { kind: 'assign', value: 'none' };
    case 'resolve':
      return { kind: 'resolve', value: action.value };
    case 'archive':
      return { kind: 'archive' };
    case 'unresolve':
      return { kind: 'unresolve' };
  }
}

const CHECK_MESSAGES = {
  integration: 'This card belongs to a Microsoft Teams integration that is no longer connected.',
  group: 'This issue no longer exists, or this team is not connected to its organization.',
  membership: 'You must be a member of the organization this issue belongs to in order to act on it.',
} as const;

export async function teamsCardAction(input: TeamsCardActionInput): Promise<ChatActionResult> {
  const activityId = input.deliveryKey;
  const conv = input.conversation;
  let sends = 0;
  /** A message in the card's thread (or the personal chat), at most once per key. */
  const send = (what: string, content: TeamsContent, to?: { conversationId: string; replyToId: string | null }) =>
    step('msteams', 'msteamsSend', `Teams message: ${what}`, {
      idempotencyKey: `msteams:${activityId}:send:${++sends}`,
      serviceUrl: conv.serviceUrl,
      conversationId: to?.conversationId ?? conv.conversationId,
      replyToId: to ? to.replyToId : conv.replyToId,
      content,
    });
  /** Chat answers never undo or fail the change: a failed send or card update becomes a reason. */
  const run = startChatRun(input);
  const { tolerated, skipped } = run;
  const tell = (what: string, text: string) =>
    tolerated('Teams reply not sent', () => send(what, { kind: 'text', text }));

  await run.markRunning();
  let userId: number | null = null;
  try {
    const target = await step('tracker', 'trackerCheckTeamsTarget', `Check the Teams card of group ${input.groupId}`, {
      integrationId: input.integrationId,
      groupId: input.groupId,
      tenantId: conv.tenantId,
    });
    if (!target.ok) {
      await tell(`refused (${target.problem})`, CHECK_MESSAGES[target.problem]);
      return await skipped(target.reason, null);
    }
    const resolveIdentity = async (summary: string) =>
      (
        await step('tracker', 'trackerResolveChatIdentity', summary, {
          provider: 'msteams',
          workspaceId: target.workspaceId,
          chatUserId: conv.fromId,
        })
      ).userId;

    userId = await resolveIdentity('Find the tracker user linked to the Teams user');
    if (userId === null) {
      const asked = await tolerated('could not ask the Teams user to link', async () => {
        let personal = conv.conversationType === 'personal' ? conv.conversationId : null;
        if (personal === null) {
          if (conv.tenantId === null) throw new Error('the activity has no tenant to open a personal chat in');
          personal = (
            await step('msteams', 'msteamsOpenPersonalConversation', 'Open a personal chat with the Teams user', {
              serviceUrl: conv.serviceUrl,
              botId: conv.botId,
              userId: conv.fromId,
              tenantId: conv.tenantId,
            })
          ).conversationId;
        }
        const link: TeamsContent = {
          kind: 'link',
          integrationId: input.integrationId,
          chatUserId: conv.fromId,
          workflowId: workflowInfo().workflowId,
        };
        return send('ask to link the account', link, { conversationId: personal, replyToId: null });
      });
      if (!asked) return await skipped('Teams user not linked', null);
      if (!asked.linkingConfigured)
        return await skipped('Teams user not linked; account linking is not configured', null);
      const linked = await run.waitForLink(TEAMS_LINK_WAIT);
      if (!linked) return await skipped('Teams user not linked (no link within 24 hours)', null);
      // The signal only wakes the run: the database says who is linked.
      userId = await resolveIdentity('Find the tracker user linked to the Teams user (after linking)');
      if (userId === null) {
        await tell('still not linked', 'Your Microsoft Teams account is still not linked.');
        return await skipped('Teams user not linked (the link was not found after the signal)', null);
      }
    }

    const source: ChangeSource = {
      provider: 'msteams',
      integrationId: input.integrationId,
      key: activityId,
      label: conv.fromName,
      actorUserId: userId,
    };
    const outcome = await run.applyChatAction({
      integrationId: input.integrationId,
      groupId: input.groupId,
      userId,
      action: chatActionOf(input.action, userId),
      source,
      summaries: {
        check: `Check membership for group ${input.groupId}`,
        apply: `Apply the Teams change to group ${input.groupId}`,
      },
      checkMessages: CHECK_MESSAGES,
      tell,
    });
    if ('skipped' in outcome) return outcome.skipped;
    const applied = outcome.applied;

    // The clicked card shows the group's state whether or not this click changed it.
    const clicked = conv.replyToId;
    const updated =
      clicked === null
        ? null
        : await tolerated('Teams card not updated', () =>
            step('msteams', 'msteamsUpdateCard', `Update the clicked Teams card of group ${input.groupId}`, {
              serviceUrl: conv.serviceUrl,
              conversationId: conv.cardConversationId,
              activityId: clicked,
              groupId: input.groupId,
              integrationId: input.integrationId,
            }).then(() => true)
          );
    // A clicked card that could not be updated is left to the notifier like any other alert.
    const problems = await afterGroupChanges(
      applied.changed,
      source,
      updated && clicked !== null ? { exclude: { provider: 'msteams', messageId: clicked } } : {}
    );
    if (applied.changed.length === 0) {
      await tell('nothing changed', `No change: ${reasonsOf(applied.skipped) ?? 'already in that state'}.`);
    }
    return await run.finishApplied(applied, source, problems, userId);
  } catch (err) {
    await run.finish({ outcome: 'failed', reason: failureReason(err), changes: [], userId });
    throw err;
  }
}
