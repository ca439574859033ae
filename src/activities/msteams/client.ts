/**
 * Typed Bot Framework Connector client for Microsoft Teams over {@link requestJson}. No Temporal imports: it
 * throws HttpError / NetworkError / UnexpectedBodyError and the activities map them with failures.ts.
 *
 * Auth: an Entra ID client-credentials token (scope `https://api.botframework.com/.default`), cached until five
 * minutes before it expires; one token fetch in flight at a time; a 401 from the Connector drops the cached
 * token and retries the call once. Tokens and the app password never reach `what`, so never error messages.
 */
import { HttpError, NetworkError, UnexpectedBodyError, requestJson } from '../../http';

const SYSTEM = 'Teams';
const SCOPE = 'https://api.botframework.com/.default';
/** Refresh this long before `expires_in` runs out. */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly version: string;
  readonly $schema?: string;
  readonly body?: readonly unknown[];
  readonly actions?: readonly unknown[];
  readonly [key: string]: unknown;
}

export interface TeamsAdaptiveCardAttachment {
  readonly contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
  readonly content: AdaptiveCard;
}

/** The body of an outbound activity (a subset of Bot Framework's; only what this service sends). */
export interface TeamsOutboundActivity {
  readonly type: 'message';
  readonly text?: string;
  readonly textFormat?: 'plain' | 'markdown' | 'xml';
  readonly summary?: string;
  readonly attachments?: readonly TeamsAdaptiveCardAttachment[];
  readonly replyToId?: string;
  readonly id?: string;
}

export interface TeamsResourceResponse {
  readonly id: string;
}

export interface TeamsConversationParameters {
  readonly bot: { readonly id: string };
  readonly members: ReadonlyArray<{ readonly id: string }>;
  readonly tenantId: string;
  readonly isGroup: false;
}

export interface TeamsClientOptions {
  /** Entra ID token endpoint, e.g. `https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token`. */
  readonly tokenUrl: string;
  readonly appId: string;
  readonly appPassword: string;
  readonly timeoutMs: number;
  /** For the token request only (tests); defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Clock for token expiry (tests); defaults to Date.now. */
  readonly now?: () => number;
}

export interface TeamsClient {
  /** `POST {serviceUrl}/v3/conversations/{id}/activities`. */
  sendActivity(
    serviceUrl: string,
    conversationId: string,
    activity: TeamsOutboundActivity
  ): Promise<TeamsResourceResponse>;
  /** `POST {serviceUrl}/v3/conversations/{id}/activities/{activityId}`. */
  replyToActivity(
    serviceUrl: string,
    conversationId: string,
    activityId: string,
    activity: TeamsOutboundActivity
  ): Promise<TeamsResourceResponse>;
  /** `PUT {serviceUrl}/v3/conversations/{id}/activities/{activityId}`: refresh a card in place. */
  updateActivity(
    serviceUrl: string,
    conversationId: string,
    activityId: string,
    activity: TeamsOutboundActivity
  ): Promise<TeamsResourceResponse>;
  /** `POST {serviceUrl}/v3/conversations`: open a 1:1 conversation with a user. */
  createConversation(serviceUrl: string, params: TeamsConversationParameters): Promise<TeamsResourceResponse>;
}

interface CachedToken {
  readonly value: string;
  readonly refreshAt: number;
}

export function createTeamsClient(options: TeamsClientOptions): TeamsClient {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let cached: CachedToken | null = null;
  let inFlight: Promise<CachedToken> | null = null;

  async function fetchToken(): Promise<CachedToken> {
    const what = 'token request';
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.appId,
      client_secret: options.appPassword,
      scope: SCOPE,
    });
    let res: Response;
    try {
      res = await doFetch(options.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      throw new NetworkError(SYSTEM, what, name === 'TimeoutError' || name === 'AbortError');
    }
    const text = await res.text().catch(() => '');
    let body: unknown = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = null; // never echo a token endpoint's text
    }
    if (res.status < 200 || res.status >= 300) {
      throw new HttpError(SYSTEM, what, res.status, res.headers.get('retry-after'), redactTokenBody(body));
    }
    const b = body as { access_token?: unknown; expires_in?: unknown } | null;
    const missing: string[] = [];
    if (typeof b?.access_token !== 'string' || b.access_token === '') missing.push('access_token');
    const expiresIn = typeof b?.expires_in === 'string' ? Number(b.expires_in) : b?.expires_in;
    if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) missing.push('expires_in');
    if (missing.length > 0) throw new UnexpectedBodyError(SYSTEM, what, missing);
    return { value: b!.access_token as string, refreshAt: now() + (expiresIn as number) * 1000 - EXPIRY_MARGIN_MS };
  }

  async function token(): Promise<string> {
    if (cached !== null && now() < cached.refreshAt) return cached.value;
    if (inFlight === null) {
      const p = fetchToken().then(
        (t) => {
          if (inFlight === p) inFlight = null;
          cached = t;
          return t;
        },
        (err: unknown) => {
          if (inFlight === p) inFlight = null;
          throw err;
        }
      );
      inFlight = p;
    }
    return (await inFlight).value;
  }

  async function call(
    method: 'POST' | 'PUT',
    serviceUrl: string,
    path: string,
    what: string,
    body: unknown
  ): Promise<TeamsResourceResponse> {
    const url = serviceUrl.replace(/\/+$/, '') + path;
    const send = async (bearer: string): Promise<TeamsResourceResponse> => {
      const res = await requestJson<TeamsResourceResponse | null>({
        method,
        url,
        headers: { authorization: `Bearer ${bearer}` },
        body,
        timeoutMs: options.timeoutMs,
        system: SYSTEM,
        what,
      });
      const id = res.body?.id;
      if (typeof id !== 'string' || id === '') throw new UnexpectedBodyError(SYSTEM, what, ['id']);
      return { id };
    };
    const first = await token();
    try {
      return await send(first);
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 401) throw err;
      if (cached?.value === first) cached = null;
      return await send(await token());
    }
  }

  const activitiesPath = (conversationId: string): string => `/v3/conversations/${seg(conversationId)}/activities`;

  return {
    sendActivity: (serviceUrl, conversationId, activity) =>
      call('POST', serviceUrl, activitiesPath(conversationId), 'send activity', activity),
    replyToActivity: (serviceUrl, conversationId, activityId, activity) =>
      call('POST', serviceUrl, `${activitiesPath(conversationId)}/${seg(activityId)}`, 'reply to activity', activity),
    updateActivity: (serviceUrl, conversationId, activityId, activity) =>
      call('PUT', serviceUrl, `${activitiesPath(conversationId)}/${seg(activityId)}`, 'update activity', activity),
    createConversation: (serviceUrl, params) =>
      call('POST', serviceUrl, '/v3/conversations', 'create conversation', params),
  };
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Keeps only the OAuth error code/description fields of a failed token response (no echoes of the request). */
function redactTokenBody(body: unknown): unknown {
  if (body === null || typeof body !== 'object') return null;
  const b = body as { error?: unknown; error_codes?: unknown };
  return { error: typeof b.error === 'string' ? b.error : undefined, error_codes: b.error_codes };
}
