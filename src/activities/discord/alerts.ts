/**
 * Posting a group's alert to a Discord channel as the bot (`POST /channels/{id}/messages`): the same embed and
 * buttons as every later refresh (buildAlertMessage). Posted at most once per request: the idempotency key
 * `alert:<requestId>` is checked in outbound_messages before the POST, and the POST carries a nonce derived
 * from it with `enforce_nonce`, so Discord drops a retry that raced our record.
 */
import { ApplicationFailure } from '@temporalio/common';
import { toFailure } from '../failures';
import { findOutbound, recordOutbound } from '../tracker/chat';
import { loadGroupView } from '../tracker/group-view';
import type { DiscordDeps } from './activities';
import { buildAlertMessage } from './messages';

export interface PostAlertMessageInput {
  readonly requestId: string;
  readonly groupId: number;
  readonly integrationId: number;
  readonly channelId: string;
}

export interface AlertDeps extends DiscordDeps {
  /** The integration's bot token (non-retryable IntegrationMisconfigured when missing). */
  readonly botTokenOf: (integrationId: number) => Promise<string>;
  /** A Discord nonce (≤ 25 characters) for an idempotency key. */
  readonly nonce: (idempotencyKey: string) => string;
}

/** The outbound_messages key of an alert post. */
export const alertKey = (requestId: string): string => `alert:${requestId}`;

export async function postAlertMessage(
  { db, client, botTokenOf, nonce }: AlertDeps,
  input: PostAlertMessageInput
): Promise<{ messageId: string; alreadySent: boolean }> {
  const key = alertKey(input.requestId);
  const existing = await findOutbound(db, key);
  if (existing) return { messageId: existing, alreadySent: true };
  const group = await loadGroupView(db, input.groupId);
  if (!group) throw ApplicationFailure.nonRetryable(`group ${input.groupId} no longer exists`, 'NotFound');
  const token = await botTokenOf(input.integrationId);
  const body = buildAlertMessage({
    ...group,
    assignee: group.assignee ? { type: group.assignee.type, name: group.assignee.name } : null,
  });
  let created: { id: string };
  try {
    created = await client.createChannelMessage(token, input.channelId, {
      ...body,
      allowed_mentions: { parse: [] },
      nonce: nonce(key),
    });
  } catch (err) {
    throw toFailure(err);
  }
  await recordOutbound(db, { key, provider: 'discord', channelId: input.channelId, messageId: created.id });
  return { messageId: created.id, alreadySent: false };
}
