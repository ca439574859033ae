/**
 * Discord interaction bodies (reference §2.4, Sentry §2.7/§3.2). Two steps, because the key that verifies a
 * body is chosen by a field of that body: {@link peekApplicationId} reads `application_id` from the unverified
 * bytes (used only to pick the public key), and {@link parseInteraction} parses the verified body with a schema.
 *
 * Message components carry `custom_id = <action>:<groupId>`; {@link parseComponent} turns it (and the select's
 * value) into a dialog to open, a state change (the domain's ChatAction), or the reason it is neither.
 */
import { parseAssigneeValue, resolveStrategyOf } from '../../domain/requests';
import type { ResolveTarget } from '../../domain/requests';
import { z } from 'zod';
import type { InvalidReason } from '../../activities/discord/dialogs';
import type { ChatAction } from '../../workflows/chat-contracts';
import { InputError } from '../errors';
import { parseWith } from './request';

/** Discord ids (snowflakes) are decimal strings of a 64-bit integer. */
const snowflake = z.string().regex(/^\d{1,20}$/, 'must be a Discord id');

const userSchema = z.looseObject({ id: snowflake, username: z.string().max(100).optional() });

const schema = z.looseObject({
  id: snowflake,
  application_id: snowflake,
  type: z.number().int(),
  token: z.string().min(1).max(1000).optional(),
  guild_id: snowflake.optional(),
  channel_id: snowflake.optional(),
  member: z.looseObject({ user: userSchema.optional() }).optional(),
  user: userSchema.optional(),
  message: z.looseObject({ id: snowflake, flags: z.number().int().optional() }).optional(),
  data: z
    .looseObject({
      custom_id: z.string().max(100).optional(),
      component_type: z.number().int().optional(),
      values: z.array(z.string().max(100)).max(25).optional(),
    })
    .optional(),
});

export const INTERACTION_PING = 1;
export const INTERACTION_MESSAGE_COMPONENT = 3;
const EPHEMERAL_FLAG = 64;

/** What every non-PING interaction carries that the service needs. */
export interface InteractionBase {
  readonly id: string;
  readonly applicationId: string;
  /** The 15-minute interaction token (a credential: stored in discord_interactions, never logged). */
  readonly token: string;
  /** Null in a DM. */
  readonly guildId: string | null;
  readonly channelId: string | null;
  /** `member.user.id` in a guild, `user.id` in a DM. */
  readonly userId: string;
  readonly userName: string;
  readonly messageId: string | null;
  readonly messageEphemeral: boolean;
}

export type ComponentRequest =
  | { readonly kind: 'dialog'; readonly dialog: 'assign' | 'resolve'; readonly groupId: number }
  | { readonly kind: 'change'; readonly action: ChatAction; readonly groupId: number }
  | { readonly kind: 'invalid'; readonly reason: InvalidReason };

export type DiscordInteraction =
  | { readonly kind: 'ping' }
  | { readonly kind: 'component'; readonly base: InteractionBase; readonly component: ComponentRequest }
  /** Any other interaction type (commands, modals…): answered with an ephemeral "not supported". */
  | { readonly kind: 'unsupported'; readonly base: InteractionBase | null };

/**
 * `application_id` of an unverified body, or null when it is not JSON or has none. Only picks the key to verify
 * with; nothing else of the body is read before the signature holds.
 */
export function peekApplicationId(rawBody: Buffer): string | null {
  try {
    const body: unknown = JSON.parse(rawBody.toString('utf8'));
    const id = (body as { application_id?: unknown } | null)?.application_id;
    return typeof id === 'string' && /^\d{1,20}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

const GROUP_ID = /^[1-9]\d{0,15}$/;

/** `<action>:<groupId>` (+ the select's first value) → what to do. Pure. */
export function parseComponent(customId: string, values: readonly string[] = []): ComponentRequest {
  const colon = customId.indexOf(':');
  const action = colon < 0 ? customId : customId.slice(0, colon);
  const gid = colon < 0 ? '' : customId.slice(colon + 1);
  const known = ['assign_dialog', 'resolve_dialog', 'assign', 'resolve', 'unresolve', 'mark_ongoing', 'archive'];
  if (!known.includes(action)) return { kind: 'invalid', reason: 'unknown_action' };
  if (!GROUP_ID.test(gid) || !Number.isSafeInteger(Number(gid))) return { kind: 'invalid', reason: 'bad_group_id' };
  const groupId = Number(gid);
  const value = values[0];
  switch (action) {
    case 'assign_dialog':
      return { kind: 'dialog', dialog: 'assign', groupId };
    case 'resolve_dialog':
      return { kind: 'dialog', dialog: 'resolve', groupId };
    case 'assign':
      if (value === undefined || !parseAssigneeValue(value)) return { kind: 'invalid', reason: 'bad_value' };
      return { kind: 'change', action: { kind: 'assign', value }, groupId };
    case 'resolve': {
      // A one-click "Resolve" button (projects without releases) has no value: resolve immediately.
      const target = value ?? 'immediately';
      if (!resolveStrategyOf(target)) return { kind: 'invalid', reason: 'bad_value' };
      return { kind: 'change', action: { kind: 'resolve', value: target as ResolveTarget }, groupId };
    }
    case 'unresolve':
      return { kind: 'change', action: { kind: 'unresolve' }, groupId };
    case 'mark_ongoing':
      return { kind: 'change', action: { kind: 'mark_ongoing' }, groupId };
    default:
      return { kind: 'change', action: { kind: 'archive' }, groupId };
  }
}

/** A verified body → the interaction. Malformed JSON or missing fields → InputError (400) naming the field. */
export function parseInteraction(rawBody: Buffer): DiscordInteraction {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new InputError('(body): not JSON');
  }
  const body = parseWith(schema, json);
  if (body.type === INTERACTION_PING) return { kind: 'ping' };
  const user = body.member?.user ?? body.user;
  if (!user) throw new InputError('member.user: required (or user, in a DM)');
  if (!body.token) throw new InputError('token: required');
  const base: InteractionBase = {
    id: body.id,
    applicationId: body.application_id,
    token: body.token,
    guildId: body.guild_id ?? null,
    channelId: body.channel_id ?? null,
    userId: user.id,
    userName: user.username ?? user.id,
    messageId: body.message?.id ?? null,
    messageEphemeral: ((body.message?.flags ?? 0) & EPHEMERAL_FLAG) !== 0,
  };
  if (body.type !== INTERACTION_MESSAGE_COMPONENT) return { kind: 'unsupported', base };
  return {
    kind: 'component',
    base,
    component: parseComponent(body.data?.custom_id ?? '', body.data?.values ?? []),
  };
}
