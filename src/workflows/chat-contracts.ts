/**
 * Contracts of the chat workflows (Discord now, Teams next): their inputs and results, and the signal that
 * wakes a run waiting for its user to link a chat account. Plain data and @temporalio/workflow definitions
 * only: part of the workflow bundle and imported by the API.
 *
 * No secrets here: an interaction's token stays in Postgres (`discord_interactions`) and only its id travels.
 */
import { defineSignal } from '@temporalio/workflow';
import type { ResolveTarget } from '../domain/requests';

/** What a person asked for on a chat message, as the domain sees it. */
export type ChatAction =
  | { readonly kind: 'assign'; readonly value: string }
  | { readonly kind: 'resolve'; readonly value: ResolveTarget }
  | { readonly kind: 'unresolve' }
  | { readonly kind: 'mark_ongoing' }
  | { readonly kind: 'archive' };

/** Input of `discordInteraction` (workflow id `discord-<interaction id>`). */
export interface DiscordInteractionInput {
  readonly deliveryId: number;
  /** The interaction id: the delivery key and part of every idempotency key this run writes. */
  readonly deliveryKey: string;
  readonly integrationId: number;
  readonly guildId: string;
  /** The Discord user who clicked (`member.user.id`, or `user.id` outside a guild). */
  readonly chatUserId: string;
  /** Their Discord username, for messages (never an email). */
  readonly chatUserName: string;
  readonly groupId: number;
  readonly action: ChatAction;
}

export interface ChatActionResult {
  readonly outcome: 'applied' | 'skipped' | 'failed';
  readonly reason: string | null;
  readonly changes: ReadonlyArray<{ readonly kind: string; readonly assigneeName?: string }>;
  /** The tracker user the chat user is linked to (after linking, when the run waited for it). */
  readonly userId: number | null;
}

/** Sent by `POST /api/identity-links` to the run that asked the user to link: the tracker user now linked. */
export const identityLinkedSignal = defineSignal<[{ readonly userId: number }]>('identityLinked');

/** Input of `postDiscordAlert` (workflow id `alert-<request id>`). */
export interface PostAlertInput {
  readonly requestId: string;
  readonly groupId: number;
  readonly integrationId: number;
  readonly channelId: string;
}

/**
 * A Teams card action (`value.payload.actionType`, SPEC §3.4) as the parser reads it: 1 resolve (`resolveInput`),
 * 2 archive (`archiveInput`), 3 assign (`assignInput`: `ME` | `user:<id>` | `team:<id>`), 4 unresolve, 5 unassign.
 * `ME` stays `ME` here: the run turns it into the linked tracker user once it knows who that is.
 */
export type TeamsCardAction =
  | { readonly kind: 'resolve'; readonly value: ResolveTarget }
  | { readonly kind: 'archive' }
  | { readonly kind: 'assign'; readonly value: string }
  | { readonly kind: 'unresolve' }
  | { readonly kind: 'unassign' };

/** Where a Teams activity came from and where answers to it go (ids and URLs only; no tokens). */
export interface TeamsConversationRef {
  /** The activity's `serviceUrl` (verified: the token's `serviceurl` claim equals it). */
  readonly serviceUrl: string;
  /** `conversation.id` (replies in a channel thread, or the personal chat). */
  readonly conversationId: string;
  /** `personal`, `channel` or `groupChat`. */
  readonly conversationType: string;
  /** The conversation a card is updated in: `channelData.channel.id` in a channel, else `conversation.id`. */
  readonly cardConversationId: string;
  /** `replyToId`: the card message that was clicked (null for a plain message). */
  readonly replyToId: string | null;
  /** `from.id`: the Teams user. */
  readonly fromId: string;
  /** `from.name`, for messages (never an email). */
  readonly fromName: string;
  /** `recipient.id`: the bot. */
  readonly botId: string;
  /** `channelData.tenant.id` (or `conversation.tenantId`). */
  readonly tenantId: string | null;
  /** `channelData.team.id` when the activity comes from a team. */
  readonly teamId: string | null;
}

/** Input of `teamsCardAction` (workflow id `msteams-<activity id>`). */
export interface TeamsCardActionInput {
  readonly deliveryId: number;
  /** The activity id: the delivery key and part of every idempotency key this run writes. */
  readonly deliveryKey: string;
  /** `value.payload.integrationId` of the card (or the integration of the team/tenant); checked by the run. */
  readonly integrationId: number;
  readonly groupId: number;
  readonly action: TeamsCardAction;
  readonly conversation: TeamsConversationRef;
}

/**
 * What `teamsReply` answers with: personal commands, a mention in a channel, the bot added to a team, and a card
 * action that could not be read (`invalid`, with the reason as `text`).
 */
export type TeamsReplyKind = 'help' | 'link' | 'unlink' | 'unknown' | 'mention' | 'welcome' | 'invalid';

/** Input of `teamsReply` (workflow id `msteams-<activity id>`). */
export interface TeamsReplyInput {
  readonly deliveryId: number;
  readonly deliveryKey: string;
  /** The Teams integration of the team or tenant, when one is installed (linking needs it). */
  readonly integrationId: number | null;
  readonly kind: TeamsReplyKind;
  /** The text the person typed (`unknown`), the team's name (`welcome`) or the reason (`invalid`); bounded. */
  readonly text: string | null;
  readonly conversation: TeamsConversationRef;
}

/** Input of `postTeamsAlert` (workflow id `alert-<request id>`). */
export interface PostTeamsAlertInput {
  readonly requestId: string;
  readonly groupId: number;
  readonly integrationId: number;
  readonly conversationId: string;
}
