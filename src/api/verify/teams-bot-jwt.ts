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
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWK, JWTPayload, JWTVerifyGetKey } from 'jose';
import { SignatureError } from '../errors';

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
    const keys = jwks.keys.filter((k): k is JWK => typeof k === 'object' && k !== null);
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

    let signingJwk: JWK | undefined;
    const getKey: JWTVerifyGetKey = async (header, flattened) => {
      let keys: readonly JWK[];
      try {
        keys = await keysFor(header.kid);
      } catch {
        throw new SignatureError('signing keys unavailable');
      }
      const jwk = keys.find((k) => k.kid === header.kid);
      if (!jwk) throw new SignatureError('unknown signing key');
      const endorsements = (jwk as { endorsements?: unknown }).endorsements;
      if (!Array.isArray(endorsements) || !endorsements.includes(channelId)) {
        throw new SignatureError('signing key not endorsed for msteams');
      }
      signingJwk = jwk;
      const { endorsements: _e, ...publicJwk } = jwk as JWK & { endorsements?: unknown };
      void _e;
      const set: JSONWebKeySet = { keys: [publicJwk] };
      return createLocalJWKSet(set)(header, flattened);
    };

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, getKey, {
        algorithms: ['RS256'],
        issuer: TEAMS_ISSUER,
        audience: options.appId,
        clockTolerance: TEAMS_CLOCK_SKEW_SECONDS,
        currentDate: new Date(now()),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof SignatureError) throw err;
      const code = (err as { code?: unknown }).code;
      throw new SignatureError(typeof code === 'string' ? `token refused (${code})` : 'token refused');
    }
    if (!signingJwk) throw new SignatureError('unknown signing key');
    const claimed = claims['serviceurl'];
    if (typeof claimed !== 'string' || !sameServiceUrl(claimed, serviceUrl)) {
      throw new SignatureError('serviceurl claim does not match the activity');
    }
    return { claims };
  }

  return { verify };
}
