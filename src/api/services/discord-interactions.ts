/**
 * Discord interactions (SPEC §3.3): verify, then answer inside Discord's 3-second deadline.
 *
 * 1. The key: active Discord integrations whose `metadata.application_id` is the body's `application_id`
 *    (read unverified, only to choose the key); Ed25519 must verify with one of their `public_key_hex`, and the
 *    timestamp must be within 5 minutes. Anything else → 401, nothing stored.
 * 2. PING → `{type: 1}`, nothing stored.
 * 3. The integration is the one for the interaction's guild (`external_id = guild_id`). None (or a DM) → an
 *    ephemeral "not connected". Unknown custom_id, a non-numeric group id, a bad select value, a group that does
 *    not exist or belongs to no org this integration is installed in → an ephemeral message saying so.
 * 4. Dialogs (`assign_dialog`, `resolve_dialog`) → an ephemeral select, answered inline from Postgres reads.
 * 5. State changes → the token row in `discord_interactions`, then a durable intake (see intake.ts): the answer
 *    `{type: 6}` follows the commit and never waits on Temporal; `discordInteraction` (`discord-<interaction id>`)
 *    is started in the background, or by the pump when Temporal is back.
 */
import type { Knex } from 'knex';
import type { DiscordCallback } from '../../activities/discord/dialogs';
import {
  buildAssignDialog,
  buildResolveDialog,
  CALLBACK_DEFERRED_UPDATE,
  CALLBACK_PONG,
  DIALOG_TEXT,
  ephemeralMessage,
  invalidComponentMessage,
} from '../../activities/discord/dialogs';
import type { GroupView } from '../../activities/tracker/group-view';
import { loadGroupView } from '../../activities/tracker/group-view';
import { loadAssignable } from '../../activities/tracker/assignable';
import { sha256Hex } from '../../domain/hash';
import type { Logger } from '../../logger';
import type { ChatAction } from '../../workflows/chat-contracts';
import { discordInteraction } from '../../workflows/discord-interaction';
import type { IntakeDeps, IntakeReply } from '../intake';
import { intake } from '../intake';
import type { InteractionBase } from '../parse/discord-interaction';
import { parseInteraction, peekApplicationId } from '../parse/discord-interaction';
import type { DiscordSignedRequest } from '../verify/discord-ed25519';
import { verifyDiscordSignature } from '../verify/discord-ed25519';

/** Interaction tokens live 15 minutes (Discord). */
export const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;

/** At most this many integration rows are tried for one application id (one key per application). */
const MAX_CANDIDATES = 50;
/** Reads for the assignee dialog are bounded; the select shows 25 at most anyway. */
const MAX_DIALOG_ROWS = 1_000;

interface Candidate {
  readonly integrationId: number;
  readonly guildId: string;
  readonly publicKeyHex: string;
}

/** Active Discord integrations of an application, with their public keys. */
async function candidatesFor(db: Knex, applicationId: string): Promise<Candidate[]> {
  const rows = await db('integrations')
    .where({ provider: 'discord', status: 'active' })
    .whereRaw("metadata->>'application_id' = ?", [applicationId])
    .orderBy('id')
    .limit(MAX_CANDIDATES)
    .select('id', 'external_id', db.raw("metadata->>'public_key_hex' as public_key_hex"));
  return rows
    .filter((r: { public_key_hex: unknown }) => typeof r.public_key_hex === 'string')
    .map((r: { id: string | number; external_id: string; public_key_hex: string }) => ({
      integrationId: Number(r.id),
      guildId: String(r.external_id),
      publicKeyHex: r.public_key_hex,
    }));
}

/** The group, when it exists and its org has this integration installed (tenant isolation, SPEC §6). */
async function groupForIntegration(db: Knex, groupId: number, integrationId: number): Promise<GroupView | null> {
  const group = await loadGroupView(db, groupId);
  if (!group) return null;
  const installed = await db('organization_integrations')
    .where({ organization_id: group.organizationId, integration_id: integrationId, status: 'active' })
    .first('id');
  return installed ? group : null;
}

/** The assignee dialog's choices: the project's teams, and active org members who reach it through a team. */
async function assignDialog(db: Knex, group: GroupView): Promise<DiscordCallback> {
  const { teams, members } = await loadAssignable(db, group, MAX_DIALOG_ROWS);
  return buildAssignDialog({
    groupId: group.id,
    teams: [...teams],
    members: [...members],
    current: group.assignee ? { type: group.assignee.type, id: group.assignee.id } : null,
  });
}

const ACTION_WORDS: Readonly<Record<ChatAction['kind'], string>> = {
  assign: 'assign',
  resolve: 'resolve',
  unresolve: 'unresolve',
  mark_ongoing: 'mark ongoing',
  archive: 'archive',
};

export type DiscordInteractionsDeps = IntakeDeps & { readonly db: Knex; readonly logger: Logger };

const ok = (body: unknown): IntakeReply => ({ status: 200, body });

export function discordInteractionsService(deps: DiscordInteractionsDeps) {
  const { db } = deps;

  /** Stores the token and records the delivery; answers `{type: 6}` once both are committed. */
  async function stateChange(
    base: InteractionBase,
    integrationId: number,
    guildId: string,
    groupId: number,
    action: ChatAction,
    rawBody: Buffer
  ): Promise<IntakeReply> {
    await db('discord_interactions')
      .insert({
        integration_id: integrationId,
        interaction_id: base.id,
        application_id: base.applicationId,
        token: base.token,
        channel_id: base.channelId,
        message_id: base.messageId,
        message_ephemeral: base.messageEphemeral,
        expires_at: new Date(Date.now() + INTERACTION_TOKEN_TTL_MS),
      })
      .onConflict('interaction_id')
      .ignore();
    return intake<typeof discordInteraction>(deps, {
      provider: 'discord',
      integrationId,
      deliveryKey: base.id,
      payloadSha256: sha256Hex(rawBody),
      durable: true,
      run: {
        workflow: discordInteraction,
        input: {
          deliveryKey: base.id,
          integrationId,
          guildId,
          chatUserId: base.userId,
          chatUserName: base.userName,
          groupId,
          action,
        },
        summary: `Discord ${ACTION_WORDS[action.kind]} on group ${groupId}`,
        labels: { groupIds: [groupId] },
      },
      reply: ok({ type: CALLBACK_DEFERRED_UPDATE }),
    });
  }

  return async function receiveInteraction(req: DiscordSignedRequest): Promise<IntakeReply> {
    const applicationId = peekApplicationId(req.rawBody);
    const candidates = applicationId ? await candidatesFor(db, applicationId) : [];
    const verified = verifyDiscordSignature(req, candidates);
    const interaction = parseInteraction(req.rawBody);
    if (interaction.kind === 'ping') return ok({ type: CALLBACK_PONG });
    if (interaction.kind === 'unsupported') return ok(ephemeralMessage(DIALOG_TEXT.unsupported));
    const { base, component } = interaction;
    const integration =
      base.guildId === null || base.applicationId !== applicationId
        ? undefined
        : candidates.find((c) => c.guildId === base.guildId && c.publicKeyHex === verified.publicKeyHex);
    if (!integration || base.guildId === null) return ok(ephemeralMessage(DIALOG_TEXT.notConnected));
    if (component.kind === 'invalid') return ok(invalidComponentMessage(component.reason));
    const group = await groupForIntegration(db, component.groupId, integration.integrationId);
    if (!group) return ok(ephemeralMessage(DIALOG_TEXT.groupNotFound));
    if (component.kind === 'dialog') {
      return ok(
        component.dialog === 'assign'
          ? await assignDialog(db, group)
          : buildResolveDialog({ groupId: group.id, hasReleases: group.hasReleases })
      );
    }
    deps.logger.info(
      {
        interactionId: base.id,
        integrationId: integration.integrationId,
        groupId: group.id,
        action: component.action.kind,
      },
      'discord interaction'
    );
    return stateChange(base, integration.integrationId, base.guildId, group.id, component.action, req.rawBody);
  };
}
