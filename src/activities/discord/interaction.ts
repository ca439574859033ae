/**
 * Discord activities that answer through an interaction's webhook (SPEC §3.3): edit the message the person
 * clicked (`@original`) and send ephemeral follow-ups. The interaction token is a credential: it is read here
 * from `discord_interactions` by interaction id and never leaves this module (not in inputs, results, errors).
 *
 * - The edit is idempotent (it writes the group's current state), so a retry simply edits again.
 * - A follow-up is sent at most once per idempotency key: the key is claimed in outbound_messages before the
 *   POST (Discord has no nonce on webhook executions), recorded with the message id after it, and released
 *   only when Discord answered with a refusal (nothing was posted). A worker killed mid-request leaves the
 *   claim, so the retry does not post a second follow-up.
 */
import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';
import { createLinkToken } from '../../domain/link-token';
import type { ChangeNotice } from '../chat/wording';
import { changeSummary } from '../chat/wording';
import { HttpError } from '../../http';
import { toFailure } from '../failures';
import { loadGroupView } from '../tracker/group-view';
import type { DiscordClient, DiscordMessageBody } from './client';
import { buildAlertMessage, escapeDiscordMarkdown } from './messages';

export interface DiscordInteractionDeps {
  readonly db: Knex;
  readonly client: DiscordClient;
  /** Where people reach this service (link URLs start with it), without a trailing slash. */
  readonly publicUrl: string;
  /** HMAC key of link tokens; unset → linking is not configured. */
  readonly linkSecret: string | undefined;
}

/** Ephemeral: only the person who clicked sees the message. */
const EPHEMERAL = 64;
const CLAIMED = 'pending';

interface InteractionRow {
  readonly applicationId: string;
  readonly token: string;
  readonly channelId: string | null;
  readonly messageId: string | null;
  readonly ephemeral: boolean;
}

/** The interaction's webhook credentials; a missing or expired row is a non-retryable failure. */
async function interactionRow(db: Knex, interactionId: string): Promise<InteractionRow> {
  const row = await db('discord_interactions').where('interaction_id', interactionId).first();
  if (!row) {
    throw ApplicationFailure.nonRetryable(
      `Discord interaction ${interactionId} is not stored`,
      'DiscordInteractionNotFound'
    );
  }
  if (new Date(row.expires_at as string).getTime() <= Date.now()) {
    throw ApplicationFailure.nonRetryable(
      `Discord interaction ${interactionId} expired (its token lasts 15 minutes)`,
      'DiscordInteractionExpired'
    );
  }
  return {
    applicationId: String(row.application_id),
    token: String(row.token),
    channelId: (row.channel_id as string | null) ?? null,
    messageId: (row.message_id as string | null) ?? null,
    ephemeral: row.message_ephemeral === true,
  };
}

/** "Assigned to #backend", "Resolved in the next release"; several changes joined; markdown-escaped. */
export function changesText(notices: readonly ChangeNotice[]): string {
  return escapeDiscordMarkdown(notices.map(changeSummary).join('. '));
}

/** What a follow-up says. Built here, so link tokens and wording never enter the workflow's history. */
export type FollowupContent =
  | { readonly kind: 'changes'; readonly notices: readonly ChangeNotice[]; readonly otherwise: string }
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'link';
      readonly integrationId: number;
      readonly chatUserId: string;
      /** The run to wake when the account is linked. */
      readonly workflowId: string;
    };

export interface EditOriginalInput {
  readonly interactionId: string;
  readonly groupId: number;
  /** What changed (for the confirmation that replaces an ephemeral dialog). */
  readonly notices: readonly ChangeNotice[];
  /** The confirmation when nothing changed. */
  readonly otherwise: string;
}

export function createDiscordInteractionActivities({ db, client, publicUrl, linkSecret }: DiscordInteractionDeps) {
  return {
    /**
     * Edits the clicked message: the alert gets the group's current alert (lines and buttons); our ephemeral
     * dialog is replaced by a short confirmation without components. Returns the clicked message's id so the
     * run does not also refresh that alert through the bot.
     */
    async discordEditOriginal(input: EditOriginalInput): Promise<{ messageId: string | null; ephemeral: boolean }> {
      const row = await interactionRow(db, input.interactionId);
      let body: DiscordMessageBody;
      if (row.ephemeral) {
        const text = input.notices.length > 0 ? changesText(input.notices) : escapeDiscordMarkdown(input.otherwise);
        body = { content: text, embeds: [], components: [] };
      } else {
        const group = await loadGroupView(db, input.groupId);
        if (!group) throw ApplicationFailure.nonRetryable(`group ${input.groupId} no longer exists`, 'NotFound');
        body = buildAlertMessage({
          ...group,
          assignee: group.assignee ? { type: group.assignee.type, name: group.assignee.name } : null,
        });
      }
      try {
        await client.editOriginalInteractionResponse(row.applicationId, row.token, body);
      } catch (err) {
        throw toFailure(err);
      }
      return { messageId: row.messageId, ephemeral: row.ephemeral };
    },

    /**
     * Sends one ephemeral follow-up per idempotency key (`discord:<interaction id>:followup:<n>`). A `link`
     * follow-up carries a link URL with a signed, expiring token; without a link secret it says linking is
     * not configured and reports `linkingConfigured: false`.
     */
    async discordSendFollowup(input: {
      interactionId: string;
      idempotencyKey: string;
      content: FollowupContent;
    }): Promise<{ alreadySent: boolean; linkingConfigured: boolean }> {
      const linkingConfigured = input.content.kind !== 'link' || linkSecret !== undefined;
      const existing = await db('outbound_messages').where('idempotency_key', input.idempotencyKey).first('id');
      if (existing) return { alreadySent: true, linkingConfigured };
      const row = await interactionRow(db, input.interactionId);
      const content = followupText(input.content, { publicUrl, linkSecret });
      const claimed = await db('outbound_messages')
        .insert({ idempotency_key: input.idempotencyKey, provider: 'discord', channel_id: row.channelId })
        .onConflict('idempotency_key')
        .ignore()
        .returning('id');
      if (claimed.length === 0) return { alreadySent: true, linkingConfigured };
      let messageId: string;
      try {
        const sent = await client.createFollowupMessage(row.applicationId, row.token, { content, flags: EPHEMERAL });
        messageId = sent.id;
      } catch (err) {
        // Discord answered with a refusal: nothing was posted, so a retry may post. A timeout keeps the claim.
        if (err instanceof HttpError) {
          await db('outbound_messages').where('idempotency_key', input.idempotencyKey).delete();
        }
        throw toFailure(err);
      }
      await db('outbound_messages')
        .where('idempotency_key', input.idempotencyKey)
        .update({ message_id: messageId || CLAIMED });
      return { alreadySent: false, linkingConfigured };
    },
  };
}

function followupText(c: FollowupContent, deps: { publicUrl: string; linkSecret: string | undefined }): string {
  switch (c.kind) {
    case 'changes':
      return c.notices.length > 0 ? changesText(c.notices) : escapeDiscordMarkdown(c.otherwise);
    case 'text':
      return escapeDiscordMarkdown(c.text);
    case 'link': {
      if (deps.linkSecret === undefined) {
        return 'Your Discord account is not linked to an issue-sync user, and account linking is not configured on this server. Ask an administrator.';
      }
      const token = createLinkToken(
        { provider: 'discord', integrationId: c.integrationId, chatUserId: c.chatUserId, workflowId: c.workflowId },
        deps.linkSecret
      );
      return `Your Discord account is not linked to an issue-sync user yet. Link it here, and your action will be applied: ${deps.publicUrl}/link/${token}`;
    }
  }
}

export type DiscordInteractionActivities = ReturnType<typeof createDiscordInteractionActivities>;
