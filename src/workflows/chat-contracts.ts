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
