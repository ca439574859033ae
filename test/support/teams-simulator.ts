/**
 * Microsoft Teams / Bot Framework simulator on the shared sim core: OpenID metadata + JWKS (keys endorsed for
 * `msteams`), the client-credentials token endpoint, and the Connector paths under `baseUrl` (the serviceUrl).
 */
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
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
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
  readonly endorsements: readonly string[];
}

/** What `signActivityToken` puts in the token; times are epoch seconds. */
export interface TeamsActivityTokenClaims {
  /** The `serviceurl` claim. */
  readonly serviceUrl: string;
  readonly aud: string;
  /** A kid of this simulator's JWKS signs; any other kid goes in the header but the current key signs. */
  readonly kid?: string;
  readonly iss?: string;
  /** Default: now + 1 h. */
  readonly exp?: number;
  /** Leave `exp` out. */
  readonly omitExp?: boolean;
  /** Default: now - 5 s. */
  readonly nbf?: number;
  /** Default: now - 5 s. */
  readonly iat?: number;
  /** More claims; they override the ones above (an `undefined` value removes a claim). */
  readonly extra?: Record<string, unknown>;
  /**
   * RS256 (default) signs with the key; HS256 is an HMAC keyed with `hmacSecret`, by default the key's public SPKI
   * PEM (the algorithm-confusion attack); 'none' is unsigned (empty signature).
   */
  readonly alg?: 'RS256' | 'HS256' | 'none';
  readonly hmacSecret?: string;
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

  async function newKey(endorsements: readonly string[]): Promise<SimKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `sim-key-${++seq}`;
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, kty: 'RSA', use: 'sig', alg: 'RS256' };
    const key = { kid, privateKey, publicKey, jwk, endorsements };
    keys.push(key);
    return key;
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
    async signActivityToken(claims: TeamsActivityTokenClaims): Promise<string> {
      const key = keys.find((k) => k.kid === (claims.kid ?? current.kid)) ?? current;
      const kid = claims.kid ?? key.kid;
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = {
        serviceurl: claims.serviceUrl,
        iss: claims.iss ?? 'https://api.botframework.com',
        aud: claims.aud,
        iat: claims.iat ?? now - 5,
        nbf: claims.nbf ?? now - 5,
        ...(claims.omitExp ? {} : { exp: claims.exp ?? now + 3600 }),
        ...claims.extra,
      };
      for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
      const alg = claims.alg ?? 'RS256';
      if (alg === 'none') {
        const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
        return `${b64({ alg: 'none', kid, typ: 'JWT' })}.${b64(payload)}.`;
      }
      const jwt = new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT' });
      if (alg === 'RS256') return jwt.sign(key.privateKey);
      const secret = claims.hmacSecret ?? (await exportSPKI(key.publicKey));
      return jwt.sign(new TextEncoder().encode(secret));
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
