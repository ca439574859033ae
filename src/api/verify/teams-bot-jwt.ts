/**
 * Microsoft Teams / Bot Framework inbound authentication (SPEC §6; reference §2.5): an RS256 JWT from
 * `Authorization: Bearer`, signed by a key from the OpenID metadata document's `jwks_uri`. Keys are cached up to
 * 24 h and refetched once on an unknown `kid` (at most once a minute). `iss = https://api.botframework.com`,
 * `aud` = the bot's app id, 5 min clock skew, the `serviceurl` claim equals the activity's `serviceUrl`, and the
 * signing key's `endorsements` include `msteams`.
 *
 * Every failure (including metadata or JWKS fetch failures) is a {@link SignatureError} (401) with a short reason
 * that never contains the token, key material or fetch internals.
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignatureError } from '../errors';

/**
 * The JWS check is node:crypto's (RS256 only). jose 6 is ESM-only and jest's CommonJS registry (jest.config.js,
 * not changed here) cannot load it, so this file does not import it; the checks are the ones jose's jwtVerify does.
 */
export interface JWK {
  readonly kty?: string;
  readonly kid?: string;
  readonly n?: string;
  readonly e?: string;
  readonly endorsements?: unknown;
  readonly [key: string]: unknown;
}
export type JWTPayload = Record<string, unknown> & {
  iss?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
};

export const TEAMS_ISSUER = 'https://api.botframework.com';
export const TEAMS_CLOCK_SKEW_SECONDS = 5 * 60;
export const TEAMS_KEYS_MAX_AGE_MS = 24 * 60 * 60_000;
export const TEAMS_REFETCH_MIN_INTERVAL_MS = 60_000;
export const TEAMS_CHANNEL_ID = 'msteams';

export interface TeamsVerifierOptions {
  readonly openIdMetadataUrl: string;
  readonly appId: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export interface TeamsActivityForAuth {
  readonly serviceUrl?: unknown;
  readonly channelId?: unknown;
}

export interface TeamsVerifier {
  verify(authorization: string | undefined, activity: TeamsActivityForAuth): Promise<{ claims: JWTPayload }>;
}

interface KeyCache {
  readonly keys: readonly JWK[];
  readonly fetchedAt: number;
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** Trailing slashes do not matter when comparing service URLs. */
function sameServiceUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

export function createTeamsVerifier(options: TeamsVerifierOptions): TeamsVerifier {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let cache: KeyCache | null = null;
  let lastFetchAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<KeyCache> | null = null;

  async function getJson(url: string): Promise<unknown> {
    const res = await doFetch(url, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`status ${res.status}`);
    return res.json();
  }

  async function fetchKeys(): Promise<KeyCache> {
    lastFetchAt = now();
    const metadata = await getJson(options.openIdMetadataUrl);
    const jwksUri = httpUrl((metadata as { jwks_uri?: unknown } | null)?.jwks_uri);
    if (!jwksUri) throw new Error('metadata without jwks_uri');
    const jwks = (await getJson(jwksUri)) as { keys?: unknown } | null;
    if (!jwks || !Array.isArray(jwks.keys)) throw new Error('jwks without keys');
    const keys = jwks.keys.filter((k: unknown): k is JWK => typeof k === 'object' && k !== null);
    cache = { keys, fetchedAt: lastFetchAt };
    return cache;
  }

  function refresh(): Promise<KeyCache> {
    if (!inflight) {
      inflight = fetchKeys().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  async function keysFor(kid: string | undefined): Promise<readonly JWK[]> {
    const t = now();
    if (!cache || t - cache.fetchedAt >= TEAMS_KEYS_MAX_AGE_MS) {
      return (await refresh()).keys;
    }
    const known = cache.keys.some((k) => k.kid === kid);
    if (!known && t - lastFetchAt >= TEAMS_REFETCH_MIN_INTERVAL_MS) {
      return (await refresh()).keys;
    }
    return cache.keys;
  }

  async function verify(
    authorization: string | undefined,
    activity: TeamsActivityForAuth
  ): Promise<{ claims: JWTPayload }> {
    const match = typeof authorization === 'string' ? BEARER.exec(authorization.trim()) : null;
    if (!match) throw new SignatureError('missing or malformed bearer token');
    const token = match[1]!;
    const serviceUrl = typeof activity.serviceUrl === 'string' ? activity.serviceUrl : null;
    if (!serviceUrl) throw new SignatureError('activity has no serviceUrl');
    const channelId = typeof activity.channelId === 'string' ? activity.channelId : TEAMS_CHANNEL_ID;
    if (channelId !== TEAMS_CHANNEL_ID) throw new SignatureError('channel is not msteams');

    const parts = token.split('.');
    let header: { alg?: unknown; kid?: unknown };
    let claims: JWTPayload;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as JWTPayload;
    } catch {
      throw new SignatureError('malformed token');
    }
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object' || Array.isArray(claims)) {
      throw new SignatureError('malformed token');
    }
    if (header.alg !== 'RS256') throw new SignatureError('token algorithm not allowed (RS256 only)');
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    if (!kid) throw new SignatureError('token has no kid');

    let keys: readonly JWK[];
    try {
      keys = await keysFor(kid);
    } catch {
      throw new SignatureError('signing keys unavailable');
    }
    const jwk = keys.find((k) => k.kid === kid);
    if (!jwk) throw new SignatureError('unknown signing key');
    if (!Array.isArray(jwk.endorsements) || !jwk.endorsements.includes(channelId)) {
      throw new SignatureError('signing key not endorsed for msteams');
    }
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
    } catch {
      throw new SignatureError('unusable signing key');
    }
    const signature = Buffer.from(parts[2] ?? '', 'base64url');
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    let ok = false;
    try {
      ok = verifySignature('RSA-SHA256', signed, publicKey, signature);
    } catch {
      ok = false;
    }
    if (!ok) throw new SignatureError('bad token signature');

    if (claims.iss !== TEAMS_ISSUER) throw new SignatureError('unexpected "iss" claim');
    const aud = claims.aud;
    const audOk = typeof aud === 'string' ? aud === options.appId : Array.isArray(aud) && aud.includes(options.appId);
    if (!audOk) throw new SignatureError('unexpected "aud" claim');
    const nowSec = now() / 1000;
    if (typeof claims.exp !== 'number') throw new SignatureError('missing "exp" claim');
    if (claims.exp + TEAMS_CLOCK_SKEW_SECONDS <= nowSec) throw new SignatureError('token expired ("exp")');
    if (typeof claims.nbf === 'number' && claims.nbf - TEAMS_CLOCK_SKEW_SECONDS > nowSec) {
      throw new SignatureError('token not yet valid ("nbf")');
    }
    const claimed = claims['serviceurl'];
    if (typeof claimed !== 'string' || !sameServiceUrl(claimed, serviceUrl)) {
      throw new SignatureError('serviceurl claim does not match the activity');
    }
    return { claims };
  }

  return { verify };
}
