/**
 * Microsoft Teams activities (SPEC §3.4): rebuild a group's card and update it in place
 * (`PUT {serviceUrl}/v3/conversations/{id}/activities/{activityId}`), send cards and replies at most once per
 * idempotency key (chat/send-once.ts: Teams has no nonce), open a user's personal conversation, and post a
 * group's alert card to a conversation.
 *
 * Wording and link tokens are built here, never in the workflow, so they never enter a history. The bot's
 * token comes from the client (client credentials, cached); an unconfigured bot (no TEAMS_APP_ID or
 * TEAMS_APP_PASSWORD) is a non-retryable `IntegrationMisconfigured`.
 */
import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';
import { createLinkToken } from '../../domain/link-token';
import type { ChangeNotice } from '../chat/wording';
import { changeSummary } from '../chat/wording';
import { sendOnce } from '../chat/send-once';
import { toFailure } from '../failures';
import { loadAssignable } from '../tracker/assignable';
import { getChatMessage } from '../tracker/chat';
import type { GroupView } from '../tracker/group-view';
import { loadGroupView } from '../tracker/group-view';
import {
  buildAlreadyLinkedCard,
  buildGroupCard,
  buildHelpCard,
  buildLinkCard,
  buildMentionCard,
  buildTextCard,
  buildUnknownCommandCard,
  buildUnlinkedCard,
  buildWelcomeCard,
  cardActivity,
} from './cards';
import type { AdaptiveCard, TeamsClient } from './client';

export interface TeamsDeps {
  readonly db: Knex;
  /** Null when the bot's credentials are not configured. */
  readonly client: TeamsClient | null;
  /** Where people reach this service (link URLs and group links start with it), without a trailing slash. */
  readonly publicUrl: string;
  /** HMAC key of link tokens; unset → linking is not configured. */
  readonly linkSecret: string | undefined;
}

/** How long a link sent in Teams stays valid: as long as the run that sent it waits. */
export const TEAMS_LINK_TTL_MS = 24 * 60 * 60_000;

/** What a Teams message says. Built in the activity so wording and link tokens stay out of histories. */
export type TeamsContent =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'changes'; readonly notices: readonly ChangeNotice[]; readonly otherwise: string }
  | {
      readonly kind: 'link';
      readonly integrationId: number;
      readonly chatUserId: string;
      /** The run to wake when the account is linked (none for the `link` command). */
      readonly workflowId?: string;
    }
  | { readonly kind: 'help' }
  | { readonly kind: 'unknown'; readonly text: string }
  | { readonly kind: 'mention' }
  | { readonly kind: 'welcome'; readonly teamName: string | null }
  | { readonly kind: 'alreadyLinked' }
  | { readonly kind: 'unlinked'; readonly wasLinked: boolean };

export interface TeamsSendInput {
  readonly idempotencyKey: string;
  readonly serviceUrl: string;
  readonly conversationId: string;
  /** Reply under this activity (a card or a message); otherwise a new message in the conversation. */
  readonly replyToId?: string | null;
  readonly content: TeamsContent;
}

export interface UpdateCardInput {
  readonly serviceUrl: string;
  /** The card's conversation (`channelData.channel.id` in a channel, `conversation.id` in a personal chat). */
  readonly conversationId: string;
  /** The card message (`replyToId` of the click). */
  readonly activityId: string;
  readonly groupId: number;
  readonly integrationId: number;
}

function clientOrFail(client: TeamsClient | null): TeamsClient {
  if (!client) {
    throw ApplicationFailure.nonRetryable(
      'Teams is not configured on this server (TEAMS_APP_ID and TEAMS_APP_PASSWORD)',
      'IntegrationMisconfigured'
    );
  }
  return client;
}

async function groupOrFail(db: Knex, groupId: number): Promise<GroupView> {
  const group = await loadGroupView(db, groupId);
  if (!group) throw ApplicationFailure.nonRetryable(`group ${groupId} no longer exists`, 'NotFound');
  return group;
}

/** The service URL Teams gave when the integration was installed (alerts have no inbound activity). */
async function serviceUrlOf(db: Knex, integrationId: number): Promise<string> {
  const row = await db('integrations').where({ id: integrationId, provider: 'msteams' }).first('metadata');
  const url = (row?.metadata as Record<string, unknown> | undefined)?.service_url;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw ApplicationFailure.nonRetryable(
      `Teams integration ${integrationId} has no service_url`,
      'IntegrationMisconfigured'
    );
  }
  return url;
}

export function createTeamsActivities({ db, client, publicUrl, linkSecret }: TeamsDeps) {
  const groupUrl = (groupId: number): string => `${publicUrl}/api/groups/${groupId}`;

  /** The group's card as it is now: state, assignee, and the actions that make sense from here. */
  async function groupCard(groupId: number, integrationId: number): Promise<AdaptiveCard> {
    const group = await groupOrFail(db, groupId);
    const choices = await loadAssignable(db, group, 100);
    return buildGroupCard(
      {
        ...group,
        url: groupUrl(group.id),
        assignee: group.assignee ? { type: group.assignee.type, name: group.assignee.name } : null,
      },
      { integrationId, choices: { teams: [...choices.teams], members: [...choices.members] } }
    );
  }

  function contentCard(c: TeamsContent): { card: AdaptiveCard; summary: string } {
    switch (c.kind) {
      case 'text':
        return { card: buildTextCard(c.text), summary: c.text.slice(0, 100) };
      case 'changes': {
        const text = c.notices.length > 0 ? c.notices.map(changeSummary).join('. ') : c.otherwise;
        return { card: buildTextCard(text), summary: text.slice(0, 100) };
      }
      case 'link': {
        const url =
          linkSecret === undefined
            ? null
            : `${publicUrl}/link/${createLinkToken(
                {
                  provider: 'msteams',
                  integrationId: c.integrationId,
                  chatUserId: c.chatUserId,
                  ...(c.workflowId !== undefined ? { workflowId: c.workflowId } : {}),
                },
                linkSecret,
                Date.now(),
                TEAMS_LINK_TTL_MS
              )}`;
        return { card: buildLinkCard(url), summary: 'Link your Microsoft Teams account' };
      }
      case 'help':
        return { card: buildHelpCard(), summary: 'issue-sync help' };
      case 'unknown':
        return { card: buildUnknownCommandCard(c.text), summary: "Sorry, I didn't understand that." };
      case 'mention':
        return { card: buildMentionCard(), summary: 'issue-sync commands work in a personal chat' };
      case 'welcome':
        return { card: buildWelcomeCard(c.teamName), summary: 'Welcome to issue-sync' };
      case 'alreadyLinked':
        return { card: buildAlreadyLinkedCard(), summary: 'Your account is already linked' };
      case 'unlinked':
        return { card: buildUnlinkedCard(c.wasLinked), summary: 'Your account is unlinked' };
    }
  }

  return {
    /** Rebuilds the group's card and updates the clicked message in place. Idempotent: it writes current state. */
    async msteamsUpdateCard(input: UpdateCardInput): Promise<void> {
      const teams = clientOrFail(client);
      const card = await groupCard(input.groupId, input.integrationId);
      try {
        await teams.updateActivity(input.serviceUrl, input.conversationId, input.activityId, {
          ...cardActivity(card, `Issue ${input.groupId} updated`),
          id: input.activityId,
        });
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** The notifier's refresh: the recorded alert card of a group (chat_messages) rebuilt in place. */
    async msteamsRefreshCard(input: { chatMessageId: number }): Promise<void> {
      const m = await getChatMessage(db, input.chatMessageId);
      if (!m) throw ApplicationFailure.nonRetryable(`chat message ${input.chatMessageId} no longer exists`, 'NotFound');
      const teams = clientOrFail(client);
      const serviceUrl = m.serviceUrl ?? (await serviceUrlOf(db, m.integrationId));
      const card = await groupCard(m.groupId, m.integrationId);
      try {
        await teams.updateActivity(serviceUrl, m.conversationId ?? m.channelId, m.messageId, {
          ...cardActivity(card, `Issue ${m.groupId} updated`),
          id: m.messageId,
        });
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** The notifier's reply: one short message under a recorded alert card per idempotency key. */
    async msteamsPostReply(input: {
      chatMessageId: number;
      notice: ChangeNotice;
      idempotencyKey: string;
    }): Promise<{ messageId: string | null; alreadySent: boolean }> {
      const m = await getChatMessage(db, input.chatMessageId);
      if (!m) throw ApplicationFailure.nonRetryable(`chat message ${input.chatMessageId} no longer exists`, 'NotFound');
      const teams = clientOrFail(client);
      const serviceUrl = m.serviceUrl ?? (await serviceUrlOf(db, m.integrationId));
      const conversationId = m.conversationId ?? m.channelId;
      const text = changeSummary(input.notice);
      return sendOnce(db, { key: input.idempotencyKey, provider: 'msteams', channelId: conversationId }, () =>
        teams.replyToActivity(serviceUrl, conversationId, m.messageId, cardActivity(buildTextCard(text), text))
      );
    },

    /** Sends one card (reply, link card, help…) per idempotency key. */
    async msteamsSend(input: TeamsSendInput): Promise<{ alreadySent: boolean; linkingConfigured: boolean }> {
      const teams = clientOrFail(client);
      const linkingConfigured = input.content.kind !== 'link' || linkSecret !== undefined;
      const { card, summary } = contentCard(input.content);
      const activity = cardActivity(card, summary);
      const sent = await sendOnce(
        db,
        { key: input.idempotencyKey, provider: 'msteams', channelId: input.conversationId },
        () =>
          input.replyToId
            ? teams.replyToActivity(input.serviceUrl, input.conversationId, input.replyToId, activity)
            : teams.sendActivity(input.serviceUrl, input.conversationId, activity)
      );
      return { alreadySent: sent.alreadySent, linkingConfigured };
    },

    /**
     * The user's personal (1:1) conversation with the bot: `POST {serviceUrl}/v3/conversations`. Teams answers
     * with the same conversation for the same bot and user, so a retry is harmless.
     */
    async msteamsOpenPersonalConversation(input: {
      serviceUrl: string;
      botId: string;
      userId: string;
      tenantId: string;
    }): Promise<{ conversationId: string }> {
      const teams = clientOrFail(client);
      try {
        const created = await teams.createConversation(input.serviceUrl, {
          bot: { id: input.botId },
          members: [{ id: input.userId }],
          tenantId: input.tenantId,
          isGroup: false,
        });
        return { conversationId: created.id };
      } catch (err) {
        throw toFailure(err);
      }
    },

    /**
     * Posts a group's card to a conversation once per request (`alert:<requestId>`) and returns where it is, so
     * the run records it in chat_messages. A claim whose post never answered (worker killed mid-request) is not
     * posted again: the run fails with `OutcomeUnknown` rather than risk a second card.
     */
    async msteamsPostAlert(input: {
      requestId: string;
      groupId: number;
      integrationId: number;
      conversationId: string;
    }): Promise<{ messageId: string; serviceUrl: string; alreadySent: boolean }> {
      const teams = clientOrFail(client);
      const serviceUrl = await serviceUrlOf(db, input.integrationId);
      const card = await groupCard(input.groupId, input.integrationId);
      const sent = await sendOnce(
        db,
        { key: `alert:${input.requestId}`, provider: 'msteams', channelId: input.conversationId },
        () => teams.sendActivity(serviceUrl, input.conversationId, cardActivity(card, `Issue ${input.groupId}`))
      );
      if (sent.messageId === null || sent.messageId === 'pending') {
        throw ApplicationFailure.nonRetryable(
          'an earlier attempt to post this alert did not finish; not posting it twice',
          'OutcomeUnknown'
        );
      }
      return { messageId: sent.messageId, serviceUrl, alreadySent: sent.alreadySent };
    },
  };
}

export type TeamsActivities = ReturnType<typeof createTeamsActivities>;
