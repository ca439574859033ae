/**
 * Bot Framework activities from Microsoft Teams (reference §2.5, Sentry §2.8, SPEC §3.4). Two steps, because the
 * token check needs a field of the body: {@link peekServiceUrl} reads `serviceUrl`/`channelId` from the unverified
 * bytes (only to compare with the token's claims), and {@link parseTeamsActivity} reads the verified activity.
 *
 * A card's Action.Submit arrives as a `message` whose `value` is the card's `data` merged with the inputs. A
 * payload that is there but wrong is not a 400: it becomes `invalidCardAction`, which the route answers with a
 * reply so the person sees something. Strings are bounded; names are cut, not refused.
 */
import { z } from 'zod';
import {
  TEAMS_ACTION_TYPES,
  TEAMS_ARCHIVE_CHOICES,
  TEAMS_ASSIGN_ME,
  TEAMS_RESOLVE_CHOICES,
} from '../../activities/msteams/cards';
import { parseAssigneeValue } from '../../domain/requests';
import type { TeamsCardAction, TeamsConversationRef } from '../../workflows/chat-contracts';
import { InputError } from '../errors';
import { parseId, parseWith } from './request';

const ID_MAX = 512;
const TEXT_MAX = 4096;
const NAME_MAX = 256;
const URL_MAX = 2048;

export type TeamsInbound =
  | {
      readonly kind: 'cardAction';
      readonly activityId: string;
      readonly conversation: TeamsConversationRef;
      readonly integrationId: number | null;
      readonly groupId: number;
      readonly action: TeamsCardAction;
    }
  | {
      readonly kind: 'invalidCardAction';
      readonly activityId: string;
      readonly conversation: TeamsConversationRef;
      readonly reason: string;
    }
  | {
      readonly kind: 'command';
      readonly activityId: string;
      readonly conversation: TeamsConversationRef;
      readonly command: 'help' | 'link' | 'unlink' | 'unknown';
      readonly text: string;
    }
  | { readonly kind: 'mention'; readonly activityId: string; readonly conversation: TeamsConversationRef }
  | {
      readonly kind: 'botAdded';
      readonly activityId: string;
      readonly conversation: TeamsConversationRef;
      readonly teamName: string | null;
    }
  | { readonly kind: 'ignored'; readonly reason: string };

/** C0 controls and DEL: never in an id (and Postgres refuses NUL in the delivery row's jsonb). */
const isControl = (c: number): boolean => c < 0x20 || c === 0x7f;
const hasControl = (s: string): boolean => [...s].some((ch) => isControl(ch.charCodeAt(0)));
/** What free text may keep: everything but NUL and the C0 controls other than tab and newlines. */
const stripControls = (s: string): string =>
  [...s].filter((ch) => !isControl(ch.charCodeAt(0)) || ch === '\t' || ch === '\n' || ch === '\r').join('');
const id = z
  .string()
  .min(1, 'must not be empty')
  .max(ID_MAX, `at most ${ID_MAX} characters`)
  .refine((s) => !hasControl(s), 'must not contain control characters');
const name = z.string().transform((s) => stripControls(s.length > NAME_MAX ? s.slice(0, NAME_MAX) : s));
const serviceUrl = z
  .string()
  .max(URL_MAX, `at most ${URL_MAX} characters`)
  .refine(isServiceUrl, 'must be an http(s) URL');
const idObject = z.looseObject({ id: id.optional() });

const schema = z.looseObject({
  type: z.string().min(1).max(64),
  id: id.optional(),
  serviceUrl: serviceUrl.optional(),
  from: z.looseObject({ id: id.optional(), name: name.optional() }).optional(),
  recipient: idObject.optional(),
  conversation: z
    .looseObject({
      id: id.optional(),
      conversationType: z
        .string()
        .max(64)
        .refine((t) => !hasControl(t), 'must not contain control characters')
        .optional(),
      tenantId: id.optional(),
    })
    .optional(),
  replyToId: id.optional(),
  text: z.string().max(TEXT_MAX, `at most ${TEXT_MAX} characters`).transform(stripControls).optional(),
  channelData: z
    .looseObject({
      tenant: idObject.optional(),
      team: z.looseObject({ id: id.optional(), name: name.optional() }).optional(),
      channel: idObject.optional(),
    })
    .optional(),
  entities: z.array(z.unknown()).optional(),
  membersAdded: z.array(z.unknown()).optional(),
  value: z.unknown().optional(),
});

type Activity = z.infer<typeof schema>;

function isServiceUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** JSON.parse reviver: null-prototype objects, so `__proto__` is plain data and nothing is inherited. */
function ownPropertiesOnly(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.assign(Object.create(null) as Record<string, unknown>, value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An own property of an object (never an inherited one), else undefined. */
function own(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** The raw body as JSON with null-prototype objects; not JSON → InputError. */
export function parseTeamsJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'), ownPropertiesOnly);
  } catch {
    throw new InputError('(body): not JSON');
  }
}

/** `serviceUrl` and `channelId` of an unverified body, for the token check only; {} when it is not JSON. */
export function peekServiceUrl(raw: Buffer): { readonly serviceUrl?: unknown; readonly channelId?: unknown } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'), ownPropertiesOnly);
  } catch {
    return {};
  }
  if (!isRecord(body)) return {};
  const out: { serviceUrl?: unknown; channelId?: unknown } = {};
  if (Object.hasOwn(body, 'serviceUrl')) out.serviceUrl = body.serviceUrl;
  if (Object.hasOwn(body, 'channelId')) out.channelId = body.channelId;
  return out;
}

function required<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw new InputError(`${path}: required`);
  return value;
}

function conversationRef(a: Activity): TeamsConversationRef {
  const conversationId = required(a.conversation?.id, 'conversation.id');
  const conversationType = a.conversation?.conversationType ?? 'personal';
  const channelId = a.channelData?.channel?.id;
  return {
    serviceUrl: required(a.serviceUrl, 'serviceUrl'),
    conversationId,
    conversationType,
    cardConversationId: conversationType === 'channel' && channelId !== undefined ? channelId : conversationId,
    replyToId: a.replyToId ?? null,
    fromId: required(a.from?.id, 'from.id'),
    fromName: a.from?.name ?? '',
    botId: required(a.recipient?.id, 'recipient.id'),
    tenantId: a.channelData?.tenant?.id ?? a.conversation?.tenantId ?? null,
    teamId: a.channelData?.team?.id ?? null,
  };
}

/** A positive safe integer id given as a number or a numeric string, else null. */
function idOf(value: unknown): number | null {
  try {
    return parseId(value, 'id');
  } catch {
    return null;
  }
}

/** An input value as Teams sends it; `undefined` and `''` both mean "not chosen". */
function inputOf(value: unknown, key: string): string | null | undefined {
  const v = own(value, key);
  if (v === undefined || v === '') return undefined;
  return typeof v === 'string' ? v : null;
}

type CardRead = { action: TeamsCardAction } | { reason: string };

function cardAction(actionType: unknown, value: unknown): CardRead {
  const type = typeof actionType === 'number' ? String(actionType) : actionType;
  switch (type) {
    case TEAMS_ACTION_TYPES.resolve: {
      const input = inputOf(value, 'resolveInput');
      if (input === undefined) return { action: { kind: 'resolve', value: 'immediately' } };
      if (input === null || !Object.hasOwn(TEAMS_RESOLVE_CHOICES, input))
        return { reason: 'That resolve choice is not one issue-sync offers.' };
      return { action: { kind: 'resolve', value: TEAMS_RESOLVE_CHOICES[input as keyof typeof TEAMS_RESOLVE_CHOICES] } };
    }
    case TEAMS_ACTION_TYPES.archive: {
      const input = inputOf(value, 'archiveInput');
      if (input !== undefined && !TEAMS_ARCHIVE_CHOICES.some((c) => c.value === input))
        return { reason: 'That archive choice is not one issue-sync offers.' };
      return { action: { kind: 'archive' } };
    }
    case TEAMS_ACTION_TYPES.assign: {
      // `null` (not a string) must stay invalid: only a missing input means "Me".
      const given = inputOf(value, 'assignInput');
      const input = given === undefined ? TEAMS_ASSIGN_ME : given;
      if (input === null || (input !== TEAMS_ASSIGN_ME && (input === 'none' || parseAssigneeValue(input) === null)))
        return { reason: 'That assignee choice is not one issue-sync offers.' };
      return { action: { kind: 'assign', value: input } };
    }
    case TEAMS_ACTION_TYPES.unresolve:
      return { action: { kind: 'unresolve' } };
    case TEAMS_ACTION_TYPES.unassign:
      return { action: { kind: 'unassign' } };
    default:
      return { reason: 'This card action is not one issue-sync knows.' };
  }
}

function readCardAction(a: Activity, payload: unknown): TeamsInbound {
  const activityId = required(a.id, 'id');
  const conversation = conversationRef(a);
  const invalid = (reason: string): TeamsInbound => ({ kind: 'invalidCardAction', activityId, conversation, reason });
  const groupId = idOf(own(payload, 'groupId'));
  if (groupId === null) return invalid('This card does not name a valid issue: the group id is not a positive number.');
  const rawIntegration = own(payload, 'integrationId');
  const integrationId = rawIntegration == null ? null : idOf(rawIntegration);
  if (rawIntegration != null && integrationId === null)
    return invalid('This card does not name a valid integration: the integration id is not a positive number.');
  const read = cardAction(own(payload, 'actionType'), a.value);
  if ('reason' in read) return invalid(read.reason);
  return { kind: 'cardAction', activityId, conversation, integrationId, groupId, action: read.action };
}

/** The typed text without `<at>…</at>` mentions (and `&nbsp;`), spaces collapsed, trimmed. */
export function commandText(text: string): string {
  return text
    .replace(/<at(?:\s[^>]*)?>[\s\S]*?<\/at>/gi, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const COMMANDS = new Set(['help', 'link', 'unlink']);

function mentionsBot(a: Activity, botId: string): boolean {
  return (a.entities ?? [])
    .slice(0, 100)
    .some((e) => own(e, 'type') === 'mention' && own(own(e, 'mentioned'), 'id') === botId);
}

function readMessage(a: Activity): TeamsInbound {
  const payload = own(a.value, 'payload');
  if (own(payload, 'actionType') !== undefined) return readCardAction(a, payload);
  const activityId = required(a.id, 'id');
  const conversation = conversationRef(a);
  const type = conversation.conversationType;
  if (type === 'channel') {
    return mentionsBot(a, conversation.botId)
      ? { kind: 'mention', activityId, conversation }
      : { kind: 'ignored', reason: 'channel message that does not mention the bot' };
  }
  if (type !== 'personal' && type !== 'groupChat') return { kind: 'ignored', reason: 'unsupported conversation type' };
  const text = commandText(a.text ?? '');
  const word = text.toLowerCase();
  const command = COMMANDS.has(word) ? (word as 'help' | 'link' | 'unlink') : 'unknown';
  return { kind: 'command', activityId, conversation, command, text };
}

function readConversationUpdate(a: Activity): TeamsInbound {
  const activityId = required(a.id, 'id');
  const conversation = conversationRef(a);
  const added = (a.membersAdded ?? []).slice(0, 1000).some((m) => own(m, 'id') === conversation.botId);
  if (!added) return { kind: 'ignored', reason: 'conversationUpdate that does not add the bot' };
  return { kind: 'botAdded', activityId, conversation, teamName: a.channelData?.team?.name ?? null };
}

/** A verified activity → what to do with it. Missing what its kind needs, or over a bound → InputError (400). */
export function parseTeamsActivity(body: unknown): TeamsInbound {
  const type = own(body, 'type');
  if (type === undefined) throw new InputError('type: required');
  if (typeof type === 'string' && type !== 'message' && type !== 'conversationUpdate')
    return { kind: 'ignored', reason: `activity type ${type.replace(/[^A-Za-z/]/g, '').slice(0, 64)} is not handled` };
  const activity = parseWith(schema, body);
  return activity.type === 'message' ? readMessage(activity) : readConversationUpdate(activity);
}
