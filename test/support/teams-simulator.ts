/**
 * Microsoft Teams / Bot Framework simulator on the shared sim core: OpenID metadata + JWKS (keys endorsed for
 * `msteams`), the client-credentials token endpoint, and the Connector paths under `baseUrl` (the serviceUrl).
 */
import { generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { startSimServer, type Match, type SimResponse } from './sim-core';

export interface TeamsCall {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly raw: string | null;
  status?: number;
  injected?: boolean;
  held?: boolean;
}

interface SimKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: JsonWebKey;
  readonly endorsements: readonly string[];
}

export interface TeamsSimulatorOptions {
  readonly appId?: string;
  readonly appPassword?: string;
  readonly expiresIn?: number;
}

export interface TeamsActivityRecord {
  readonly id: string;
  readonly body: unknown;
  readonly replyToId?: string;
}

export async function startTeamsSimulator(opts: TeamsSimulatorOptions = {}) {
  const appId = opts.appId ?? 'sim-app-id';
  const appPassword = opts.appPassword ?? 'sim-app-password-secret';
  let expiresIn = opts.expiresIn ?? 3600;
  const keys: SimKey[] = [];
  const issued = new Set<string>();
  let tokenCount = 0;
  let seq = 0;
  const conversations = new Map<string, { params: unknown; activities: TeamsActivityRecord[] }>();
  const puts: Array<{ conversationId: string; activityId: string; body: unknown }> = [];

  // RSA via node:crypto: jose 6 is ESM-only and jest's CommonJS registry cannot load it.
  async function newKey(endorsements: readonly string[]): Promise<SimKey> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `sim-key-${++seq}`;
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid, kty: 'RSA', use: 'sig', alg: 'RS256' };
    const key = { kid, privateKey, jwk, endorsements };
    keys.push(key);
    return Promise.resolve(key);
  }
  let current = await newKey(['msteams']);

  function conv(id: string) {
    let c = conversations.get(id);
    if (!c) {
      c = { params: null, activities: [] };
      conversations.set(id, c);
    }
    return c;
  }

  const server = await startSimServer<TeamsCall>({
    record: (req) => ({ method: req.method, path: req.path, headers: req.headers, body: req.body, raw: req.raw }),
    preflight: (req) => {
      if (!req.path.startsWith('/v3/')) return undefined;
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (!m || !issued.has(m[1]!)) return { status: 401, body: { message: 'Authorization has been denied' } };
      return undefined;
    },
    handle: (req): SimResponse => {
      if (req.method === 'GET' && req.path === '/v1/.well-known/openidconfiguration') {
        return {
          status: 200,
          body: {
            issuer: 'https://api.botframework.com',
            jwks_uri: `${server.origin}/v1/.well-known/keys`,
            id_token_signing_alg_values_supported: ['RS256'],
            token_endpoint_auth_methods_supported: ['private_key_jwt'],
          },
        };
      }
      if (req.method === 'GET' && req.path === '/v1/.well-known/keys') {
        return { status: 200, body: { keys: keys.map((k) => ({ ...k.jwk, endorsements: [...k.endorsements] })) } };
      }
      if (req.method === 'POST' && req.path === '/oauth2/token') {
        const form = new URLSearchParams(req.raw ?? '');
        if (
          form.get('grant_type') !== 'client_credentials' ||
          form.get('client_id') !== appId ||
          form.get('client_secret') !== appPassword ||
          form.get('scope') !== 'https://api.botframework.com/.default'
        ) {
          return { status: 401, body: { error: 'invalid_client', error_description: 'bad client credentials' } };
        }
        tokenCount++;
        const token = `sim-token-${tokenCount}-${Math.random().toString(36).slice(2)}`;
        issued.add(token);
        return {
          status: 200,
          body: { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token },
        };
      }
      if (req.method === 'POST' && req.path === '/v3/conversations') {
        const id = `a:sim-conv-${++seq};messageid=${seq}`;
        conv(id).params = req.body;
        return { status: 201, body: { id } };
      }
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(req.path);
      if (m) {
        const conversationId = decodeURIComponent(m[1]!);
        const activityId = m[2] !== undefined ? decodeURIComponent(m[2]) : undefined;
        const c = conv(conversationId);
        if (req.method === 'POST') {
          const id = `1${String(Date.now()).slice(-6)}${++seq}`;
          c.activities.push({ id, body: req.body, ...(activityId !== undefined ? { replyToId: activityId } : {}) });
          return { status: 201, body: { id } };
        }
        if (req.method === 'PUT' && activityId !== undefined) {
          const i = c.activities.findIndex((a) => a.id === activityId);
          if (i < 0) return { status: 404, body: { error: { code: 'ActivityNotFound' } } };
          puts.push({ conversationId, activityId, body: req.body });
          c.activities[i] = { ...c.activities[i]!, body: req.body };
          return { status: 200, body: { id: activityId } };
        }
      }
      return { status: 404, body: { error: 'not found' } };
    },
    answered: (call, response, how) => {
      call.status = response.status;
      if (how === 'injected') call.injected = true;
      if (how === 'held') call.held = true;
    },
  });

  return {
    appId,
    appPassword,
    baseUrl: server.origin,
    openIdMetadataUrl: `${server.origin}/v1/.well-known/openidconfiguration`,
    tokenUrl: `${server.origin}/oauth2/token`,
    calls: server.calls,
    get tokensIssued(): number {
      return tokenCount;
    },
    setExpiresIn(seconds: number): void {
      expiresIn = seconds;
    },
    /** Forgets every issued token (the next Connector call gets a 401). */
    revokeTokens(): void {
      issued.clear();
    },
    activities: (conversationId: string): readonly TeamsActivityRecord[] => conv(conversationId).activities,
    conversation: (conversationId: string): unknown => conversations.get(conversationId)?.params,
    puts: (): readonly { conversationId: string; activityId: string; body: unknown }[] => puts,
    signActivityToken(claims: {
      serviceUrl: string;
      aud: string;
      kid?: string;
      iss?: string;
      exp?: number;
    }): Promise<string> {
      const key = keys.find((k) => k.kid === (claims.kid ?? current.kid)) ?? current;
      const now = Math.floor(Date.now() / 1000);
      const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
      const input = `${b64({ alg: 'RS256', kid: key.kid, typ: 'JWT' })}.${b64({
        serviceurl: claims.serviceUrl,
        iss: claims.iss ?? 'https://api.botframework.com',
        aud: claims.aud,
        iat: now - 5,
        nbf: now - 5,
        exp: claims.exp ?? now + 3600,
      })}`;
      return Promise.resolve(
        `${input}.${sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url')}`
      );
    },
    /** Adds a key to the JWKS with the given endorsements (default none); returns its kid. */
    async addKey(endorsements: readonly string[] = []): Promise<string> {
      return (await newKey(endorsements)).kid;
    },
    /** A fresh endorsed key becomes the signing key; `dropOld` removes the previous ones from the JWKS. */
    async rotateKeys(dropOld = true): Promise<string> {
      const old = keys.splice(0);
      current = await newKey(['msteams']);
      if (!dropOld) keys.unshift(...old);
      return current.kid;
    },
    failNext: (match: Match<TeamsCall>, n: number, response: SimResponse) => server.failNext(match, n, response),
    delayNext: (match: Match<TeamsCall>, n: number, ms: number) => server.delayNext(match, n, ms),
    holdNext: (match: Match<TeamsCall>, n?: number) => server.holdNext(match, n),
    releaseAll: () => server.releaseAll(),
    reset(): void {
      server.reset();
      conversations.clear();
      puts.length = 0;
      issued.clear();
      tokenCount = 0;
    },
    close: () => server.close(),
  };
}

export type TeamsSimulator = Awaited<ReturnType<typeof startTeamsSimulator>>;
