/**
 * Typed Discord REST client over {@link requestJson}: bot calls for channel messages, webhook calls for
 * interaction responses. No Temporal imports: it throws HttpError / NetworkError and the activities map them
 * with failures.ts (429 → wait Retry-After, other 4xx → non-retryable).
 */
import { HttpError, InvalidRequestError, requestJson } from '../../http';

const SYSTEM = 'Discord';

/** Discord's limit on `nonce` when it is a string. */
export const DISCORD_NONCE_MAX_LENGTH = 25;

/**
 * A create's nonce that Discord would reject (empty or longer than {@link DISCORD_NONCE_MAX_LENGTH}): refused
 * before any request. failures.ts makes it a non-retryable `BadRequest`, since the same nonce fails again.
 */
export class DiscordNonceError extends InvalidRequestError {
  override readonly name = 'DiscordNonceError';
  constructor(readonly nonceLength: number) {
    super(
      SYSTEM,
      'create channel message',
      `nonce must be 1-${DISCORD_NONCE_MAX_LENGTH} characters, got ${nonceLength}`
    );
  }
}

export interface DiscordEmbed {
  readonly title?: string;
  readonly description?: string;
  readonly url?: string;
  readonly color?: number;
  readonly timestamp?: string;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly value: string; readonly inline?: boolean }>;
  readonly footer?: { readonly text: string };
}

export interface DiscordButton {
  readonly type: 2;
  readonly style: 1 | 2 | 3 | 4;
  readonly custom_id: string;
  readonly label: string;
  readonly disabled?: boolean;
}

export interface DiscordSelectOption {
  readonly label: string;
  readonly value: string;
  readonly default?: boolean;
}

export interface DiscordStringSelect {
  readonly type: 3;
  readonly custom_id: string;
  readonly placeholder?: string;
  readonly min_values?: number;
  readonly max_values?: number;
  readonly disabled?: boolean;
  readonly options: readonly DiscordSelectOption[];
}

export interface DiscordActionRow {
  readonly type: 1;
  readonly components: ReadonlyArray<DiscordButton | DiscordStringSelect>;
}

/** The body of a message create/edit (a subset of Discord's; only what this service sends). */
export interface DiscordMessageBody {
  readonly content?: string;
  readonly embeds?: readonly DiscordEmbed[];
  readonly components?: readonly DiscordActionRow[];
  readonly flags?: number;
  /** Defaults to `{ parse: [] }`: names and titles come from users, and must never ping anyone. */
  readonly allowed_mentions?: { readonly parse: ReadonlyArray<'users' | 'roles' | 'everyone'> };
  readonly message_reference?: {
    readonly message_id: string;
    readonly channel_id?: string;
    readonly fail_if_not_exists?: boolean;
  };
}

/** A create carries a nonce (≤ 25 chars); the client adds `enforce_nonce: true` so Discord drops retries. */
export type DiscordCreateMessageBody = DiscordMessageBody & { readonly nonce: string };

/** The fields of Discord's message object that callers read. */
export interface DiscordMessage {
  readonly id: string;
  readonly channel_id: string;
  readonly content?: string;
  readonly embeds?: DiscordEmbed[];
  readonly components?: DiscordActionRow[];
  readonly flags?: number;
  readonly nonce?: string | number;
}

export interface DiscordClientOptions {
  /** `DISCORD_API_BASE_URL`, e.g. `https://discord.com/api/v10` (a simulator in tests). */
  readonly apiBaseUrl: string;
  readonly timeoutMs: number;
}

export interface DiscordClient {
  /** `PATCH /channels/{channel.id}/messages/{message.id}` as the bot: refresh an alert in place. */
  editChannelMessage(
    botToken: string,
    channelId: string,
    messageId: string,
    body: DiscordMessageBody
  ): Promise<DiscordMessage>;
  /**
   * `POST /channels/{channel.id}/messages` as the bot, with `nonce` + `enforce_nonce: true`: a retry with the
   * same nonce within Discord's dedupe window returns the first message instead of posting a second one.
   */
  createChannelMessage(botToken: string, channelId: string, body: DiscordCreateMessageBody): Promise<DiscordMessage>;
  /** `PATCH /webhooks/{application.id}/{interaction.token}/messages/@original` (token valid for 15 min). */
  editOriginalInteractionResponse(
    applicationId: string,
    interactionToken: string,
    body: DiscordMessageBody
  ): Promise<DiscordMessage>;
  /** `POST /webhooks/{application.id}/{interaction.token}`: a follow-up (pass `flags: 64` for ephemeral). */
  createFollowupMessage(
    applicationId: string,
    interactionToken: string,
    body: DiscordMessageBody
  ): Promise<DiscordMessage>;
}

/**
 * Creates the client. Bot calls send `Authorization: Bot <token>`; interaction webhook calls send no
 * Authorization (the token in the path is the credential). Tokens never appear in `what`, so they never
 * reach error messages, failure types or metrics.
 */
export function createDiscordClient(options: DiscordClientOptions): DiscordClient {
  const base = options.apiBaseUrl.replace(/\/+$/, '');

  async function call(
    method: 'POST' | 'PATCH',
    path: string,
    what: string,
    body: object,
    botToken?: string
  ): Promise<DiscordMessage> {
    try {
      const res = await requestJson<DiscordMessage>({
        method,
        url: base + path,
        headers: botToken !== undefined ? { authorization: `Bot ${botToken}` } : {},
        body: { allowed_mentions: { parse: [] }, ...body },
        timeoutMs: options.timeoutMs,
        system: SYSTEM,
        what,
      });
      return res.body;
    } catch (err) {
      throw withBodyRetryAfter(err);
    }
  }

  return {
    editChannelMessage: (botToken, channelId, messageId, body) =>
      call('PATCH', `/channels/${seg(channelId)}/messages/${seg(messageId)}`, 'edit channel message', body, botToken),
    createChannelMessage: async (botToken, channelId, body) => {
      assertNonce(body.nonce); // rejects (not throws) like every other failure of this client
      const path = `/channels/${seg(channelId)}/messages`;
      return await call('POST', path, 'create channel message', { ...body, enforce_nonce: true }, botToken);
    },
    editOriginalInteractionResponse: (applicationId, interactionToken, body) =>
      call(
        'PATCH',
        `/webhooks/${seg(applicationId)}/${seg(interactionToken)}/messages/@original`,
        'edit original interaction response',
        body
      ),
    createFollowupMessage: (applicationId, interactionToken, body) =>
      call('POST', `/webhooks/${seg(applicationId)}/${seg(interactionToken)}`, 'create interaction follow-up', body),
  };
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function assertNonce(nonce: string): void {
  if (nonce === '' || nonce.length > DISCORD_NONCE_MAX_LENGTH) {
    throw new DiscordNonceError(nonce.length);
  }
}

/**
 * Discord puts the wait in the JSON body (`retry_after`, seconds, fractional) and usually also in the
 * Retry-After header. When the header is missing, carry the body's value so the retry still waits.
 */
function withBodyRetryAfter(err: unknown): unknown {
  if (!(err instanceof HttpError) || err.status !== 429 || err.retryAfter !== null) return err;
  const retryAfter = (err.body as { retry_after?: unknown } | null)?.retry_after;
  if (typeof retryAfter !== 'number' || !Number.isFinite(retryAfter) || retryAfter < 0) return err;
  return new HttpError(err.system, err.what, err.status, String(retryAfter), err.body);
}
