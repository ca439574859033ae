/**
 * The Discord simulator's state and routes: channel messages (with `nonce` + `enforce_nonce` dedupe) and
 * interaction webhooks (`@original` edits and follow-ups, expiring tokens), answered the way Discord does.
 */
import { isRecord, route, type Route, type SimResponse } from '../sim-core';

const DISCORD_EPOCH = 1_420_070_400_000n;

export type SimRoute = 'createMessage' | 'getMessage' | 'editMessage' | 'editOriginal' | 'createFollowup' | 'unknown';

export interface SimMessage {
  id: string;
  channel_id: string;
  type: 0;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  nonce?: string | number;
  message_reference?: unknown;
  timestamp: string;
  edited_timestamp: string | null;
  author: { id: string; username: string; bot: true };
}

export interface SimInteraction {
  applicationId: string | null;
  token: string;
  /** The channel message `@original` stands for, when seeded; edits then change that message. */
  originalRef: { channelId: string; messageId: string } | null;
  /** The original as last edited through `@original` (the channel message itself when seeded). */
  original: SimMessage | null;
  /** Every `@original` PATCH body, in order. */
  originalEdits: unknown[];
  followups: SimMessage[];
  expired: boolean;
}

export const errors = {
  unauthorized: { status: 401, body: { message: '401: Unauthorized', code: 0 } },
  notFound: { status: 404, body: { message: '404: Not Found', code: 0 } },
  unknownMessage: { status: 404, body: { message: 'Unknown Message', code: 10008 } },
  unknownWebhook: { status: 404, body: { message: 'Unknown Webhook', code: 10015 } },
  invalidWebhookToken: { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } },
  emptyMessage: { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } },
  invalidJson: { status: 400, body: { message: 'The request body contains invalid JSON.', code: 50109 } },
  badNonce: {
    status: 400,
    body: {
      message: 'Invalid Form Body',
      code: 50035,
      errors: { nonce: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }] } },
    },
  },
} as const satisfies Record<string, SimResponse>;

const ok = (message: SimMessage): SimResponse => ({ status: 200, body: message });

export class DiscordStore {
  readonly channels = new Map<string, SimMessage[]>();
  readonly interactions = new Map<string, SimInteraction>();
  private readonly nonces = new Map<string, Map<string, string>>();
  private sequence = 0n;

  snowflake(): string {
    return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (this.sequence++ & 0x3fffffn)).toString();
  }

  channel(id: string): SimMessage[] {
    const list = this.channels.get(id) ?? [];
    this.channels.set(id, list);
    return list;
  }

  findMessage(channelId: string, id: string): SimMessage | undefined {
    return this.channels.get(channelId)?.find((m) => m.id === id);
  }

  newMessage(channelId: string, id: string, body: Record<string, unknown>): SimMessage {
    const message: SimMessage = {
      id,
      channel_id: channelId,
      type: 0,
      content: '',
      embeds: [],
      components: [],
      flags: 0,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      author: { id: '1000000000000000001', username: 'issue-sync', bot: true },
    };
    applyEdit(message, body);
    message.edited_timestamp = null;
    if (typeof body.nonce === 'string' || typeof body.nonce === 'number') message.nonce = body.nonce;
    if (body.message_reference !== undefined) message.message_reference = body.message_reference;
    return message;
  }

  interactionFor(token: string): SimInteraction {
    const existing = this.interactions.get(token);
    if (existing) return existing;
    const created: SimInteraction = {
      applicationId: null,
      token,
      originalRef: null,
      original: null,
      originalEdits: [],
      followups: [],
      expired: false,
    };
    this.interactions.set(token, created);
    return created;
  }

  clear(): void {
    this.channels.clear();
    this.nonces.clear();
    this.interactions.clear();
  }

  createMessage(channelId: string, body: Record<string, unknown>): SimResponse {
    const nonce = body.nonce;
    if (typeof nonce === 'string' && nonce.length > 25) return errors.badNonce;
    if (!hasContent(body)) return errors.emptyMessage;
    const byNonce = this.nonces.get(channelId) ?? new Map<string, string>();
    this.nonces.set(channelId, byNonce);
    const nonceKey = typeof nonce === 'string' || typeof nonce === 'number' ? String(nonce) : undefined;
    const previous = nonceKey !== undefined && body.enforce_nonce === true ? byNonce.get(nonceKey) : undefined;
    const existing = previous !== undefined ? this.findMessage(channelId, previous) : undefined;
    if (existing) return ok(existing);
    const message = this.newMessage(channelId, this.snowflake(), body);
    this.channel(channelId).push(message);
    if (nonceKey !== undefined) byNonce.set(nonceKey, message.id);
    return ok(message);
  }

  getMessage(channelId: string, messageId: string): SimResponse {
    const message = this.findMessage(channelId, messageId);
    return message ? ok(message) : errors.unknownMessage;
  }

  editMessage(channelId: string, messageId: string, body: Record<string, unknown>): SimResponse {
    const message = this.findMessage(channelId, messageId);
    if (!message) return errors.unknownMessage;
    applyEdit(message, body);
    return ok(message);
  }

  editOriginal(appId: string, token: string, body: Record<string, unknown>): SimResponse {
    const interaction = this.webhook(appId, token);
    if ('status' in interaction) return interaction;
    interaction.originalEdits.push(body);
    const ref = interaction.originalRef;
    if (ref) {
      const reply = this.editMessage(ref.channelId, ref.messageId, body);
      if (reply.status === 200) interaction.original = reply.body as SimMessage;
      return reply;
    }
    interaction.original ??= this.newMessage('0', this.snowflake(), {});
    applyEdit(interaction.original, body);
    return ok(interaction.original);
  }

  createFollowup(appId: string, token: string, body: Record<string, unknown>): SimResponse {
    const interaction = this.webhook(appId, token);
    if ('status' in interaction) return interaction;
    if (!hasContent(body)) return errors.emptyMessage;
    const message = this.newMessage(interaction.originalRef?.channelId ?? '0', this.snowflake(), body);
    interaction.followups.push(message);
    return ok(message);
  }

  /** The interaction a webhook path names: Unknown Webhook for another app, Invalid Webhook Token once expired. */
  private webhook(appId: string, token: string): SimInteraction | SimResponse {
    const interaction = this.interactionFor(token);
    if (interaction.applicationId !== null && interaction.applicationId !== appId) return errors.unknownWebhook;
    if (interaction.expired) return errors.invalidWebhookToken;
    return interaction;
  }
}

/** A route's name (recorded on the call), whether it needs `Authorization: Bot <token>`, and its effect. */
export interface DiscordHandler {
  readonly name: Exclude<SimRoute, 'unknown'>;
  readonly bot: boolean;
  readonly handle: (store: DiscordStore, a: string, b: string, body: Record<string, unknown>) => SimResponse;
}

const CHANNEL_MESSAGE = /^\/channels\/([^/]+)\/messages\/([^/]+)$/;

/** Paths under `/api/v10`. Interaction webhooks carry their token in the path and need no bot token. */
export const DISCORD_ROUTES: ReadonlyArray<Route<DiscordHandler>> = [
  route('POST', /^\/channels\/([^/]+)\/messages$/, {
    name: 'createMessage',
    bot: true,
    handle: (s, channel, _, body) => s.createMessage(channel, body),
  }),
  route('GET', CHANNEL_MESSAGE, { name: 'getMessage', bot: true, handle: (s, c, m) => s.getMessage(c, m) }),
  route('PATCH', CHANNEL_MESSAGE, {
    name: 'editMessage',
    bot: true,
    handle: (s, c, m, body) => s.editMessage(c, m, body),
  }),
  route('PATCH', /^\/webhooks\/([^/]+)\/([^/]+)\/messages\/@original$/, {
    name: 'editOriginal',
    bot: false,
    handle: (s, app, token, body) => s.editOriginal(app, token, body),
  }),
  route('POST', /^\/webhooks\/([^/]+)\/([^/]+)$/, {
    name: 'createFollowup',
    bot: false,
    handle: (s, app, token, body) => s.createFollowup(app, token, body),
  }),
];

/** PATCH semantics: a present field replaces, `null` clears, an absent one stays. */
function applyEdit(message: SimMessage, body: Record<string, unknown>): void {
  if ('content' in body) message.content = typeof body.content === 'string' ? body.content : '';
  if ('embeds' in body) message.embeds = Array.isArray(body.embeds) ? structuredClone(body.embeds) : [];
  if ('components' in body) message.components = Array.isArray(body.components) ? structuredClone(body.components) : [];
  if ('flags' in body) message.flags = typeof body.flags === 'number' ? body.flags : 0;
  message.edited_timestamp = new Date().toISOString();
}

function hasContent(body: Record<string, unknown>): boolean {
  const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
  return (
    (typeof body.content === 'string' && body.content !== '') || nonEmpty(body.embeds) || nonEmpty(body.components)
  );
}

/** The body as an object (`{}` for anything else), for handlers. */
export const bodyObject = (body: unknown): Record<string, unknown> => (isRecord(body) ? body : {});
