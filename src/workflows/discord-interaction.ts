/**
 * discordInteraction: one run per Discord state-change interaction (id `discord-<interaction id>`, SPEC §3.3).
 * The API answered Discord with a deferred update (type 6) and stored the interaction's token; this run
 *
 * 1. finds the tracker user linked to the clicker (none → an ephemeral follow-up with a link, then waits up to
 *    14 minutes for `identityLinked` and re-reads the identity: the pending action is applied, not lost);
 * 2. checks the group, the integration installed for the group's organization, and membership (each failure →
 *    an ephemeral follow-up saying which, delivery `skipped`);
 * 3. applies the change through the same hub as groupUpdate (source `discord`), edits the clicked message
 *    (`@original`), refreshes the group's other chat messages and caches, sends one ephemeral follow-up
 *    ("Assigned to #backend"), then pushes to linked Jira issues.
 *
 * Only the interaction id travels: the token stays in Postgres and the Discord activities read it there.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { ChangeNotice } from '../activities/chat/wording';
import type { FollowupContent } from '../activities/discord/interaction';
import type { ChangeSource, GroupChange } from '../domain/model';
import type { ChatActionResult, DiscordInteractionInput } from './chat-contracts';
import { startChatRun } from './chat-run';
import { step } from './proxies';
import { afterGroupChanges, failureReason, reasonsOf } from './steps';

/** How long a run waits for its user to link (Discord's interaction token lasts 15 minutes). */
export const LINK_WAIT = '14 minutes';

export { mapAction } from './chat-run';
export type { MappedAction } from './chat-run';

function notices(changes: readonly GroupChange[], source: ChangeSource): ChangeNotice[] {
  return changes.map((c) => ({
    kind: c.kind,
    assigneeName: c.assigneeName,
    assigneeType: c.assigneeType,
    source: { provider: source.provider, label: source.label },
  }));
}

const CHECK_MESSAGES = {
  group: 'This issue no longer exists.',
  integration: "This Discord server is not connected to this issue's organization.",
  membership: 'You must be a member of the organization this issue belongs to in order to act on it.',
} as const;

export async function discordInteraction(input: DiscordInteractionInput): Promise<ChatActionResult> {
  const interactionId = input.deliveryKey;
  let followups = 0;
  const followup = (what: string, content: FollowupContent) =>
    step('discord', 'discordSendFollowup', `Discord follow-up: ${what}`, {
      interactionId,
      idempotencyKey: `discord:${interactionId}:followup:${++followups}`,
      content,
    });
  /**
   * Chat answers never undo or fail the change (the token may have expired during a long link wait, Discord may
   * refuse): a failed edit or follow-up becomes a reason on the delivery.
   */
  const run = startChatRun(input);
  const { tolerated, skipped } = run;
  const tell = (what: string, text: string) =>
    tolerated('Discord follow-up not sent', () => followup(what, { kind: 'text', text }));

  await run.markRunning();
  let userId: number | null = null;
  try {
    const resolveIdentity = async (summary: string) =>
      (
        await step('tracker', 'trackerResolveChatIdentity', summary, {
          provider: 'discord',
          workspaceId: input.guildId,
          chatUserId: input.chatUserId,
        })
      ).userId;

    userId = await resolveIdentity('Find the tracker user linked to the Discord user');
    if (userId === null) {
      const asked = await tolerated('could not ask the Discord user to link', () =>
        followup('ask to link the account', {
          kind: 'link',
          integrationId: input.integrationId,
          chatUserId: input.chatUserId,
          workflowId: workflowInfo().workflowId,
        })
      );
      if (!asked) return await skipped('Discord user not linked', null);
      if (!asked.linkingConfigured)
        return await skipped('Discord user not linked; account linking is not configured', null);
      const linked = await run.waitForLink(LINK_WAIT);
      if (!linked) return await skipped('Discord user not linked (no link within 14 minutes)', null);
      // The signal only wakes the run: the database says who is linked.
      userId = await resolveIdentity('Find the tracker user linked to the Discord user (after linking)');
      if (userId === null) {
        await tell('still not linked', 'Your Discord account is still not linked.');
        return await skipped('Discord user not linked (the link was not found after the signal)', null);
      }
    }

    const source: ChangeSource = {
      provider: 'discord',
      integrationId: input.integrationId,
      key: interactionId,
      label: input.chatUserName,
      actorUserId: userId,
    };
    const outcome = await run.applyChatAction({
      integrationId: input.integrationId,
      groupId: input.groupId,
      userId,
      action: input.action,
      source,
      summaries: {
        check: `Check the Discord action on group ${input.groupId}`,
        apply: `Apply the Discord change to group ${input.groupId}`,
      },
      checkMessages: CHECK_MESSAGES,
      tell,
    });
    if ('skipped' in outcome) return outcome.skipped;
    const applied = outcome.applied;

    const changed = notices(applied.changed, source);
    const unchanged = `No change: ${reasonsOf(applied.skipped) ?? 'already in that state'}.`;
    const edited = await tolerated('Discord message not edited', () =>
      step('discord', 'discordEditOriginal', `Edit the clicked Discord message of group ${input.groupId}`, {
        interactionId,
        groupId: input.groupId,
        notices: changed,
        otherwise: unchanged,
      })
    );
    // A clicked message that could not be edited is left to the bot's refresh like any other alert.
    const clicked = edited?.messageId ?? null;
    const problems = await afterGroupChanges(
      applied.changed,
      source,
      clicked !== null ? { exclude: { provider: 'discord', messageId: clicked } } : {}
    );
    await tolerated('Discord follow-up not sent', () =>
      followup('what changed', { kind: 'changes', notices: changed, otherwise: unchanged })
    );
    return await run.finishApplied(applied, source, problems, userId);
  } catch (err) {
    await run.finish({ outcome: 'failed', reason: failureReason(err), changes: [], userId });
    throw err;
  }
}
