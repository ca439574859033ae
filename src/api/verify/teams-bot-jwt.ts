/**
 * Microsoft Teams / Bot Framework inbound authentication (SPEC §6; reference §2.5): an RS256 JWT from
 * `Authorization: Bearer`, signed by a key from the OpenID metadata document's `jwks_uri`. Keys are cached up to
 * 24 h and refetched once on an unknown `kid` (at most once a minute, one fetch in flight). `iss =
 * https://api.botframework.com`, `aud` = the bot's app id, 5 min clock skew, `exp` required, the `serviceurl` claim
 * equals the activity's `serviceUrl`, and the signing key's `endorsements` include `msteams`.
 *
 * The signature and the registered claims are checked by jose's `jwtVerify` (`algorithms: ['RS256']`, so `none`
 * and HS256 — also HS256 keyed with the RSA public key — are refused before any key is looked up). Key discovery
 * is ours: the metadata indirection, the endorsements and the refetch policy are Bot Framework specifics that
 * jose's remote JWKS does not have. Metadata and JWKS fetches share one deadline (`fetchTimeoutMs`) and each
 * answer is capped at {@link TEAMS_MAX_KEYS_RESPONSE_BYTES}, so a hung or flooding key server gives a 401 quickly.
 *
 * Every failure (including metadata or JWKS fetch failures) is a {@link SignatureError} (401) with a short reason
 * that never contains the token, key material or fetch internals.
 */
import { errors, importJWK, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { SignatureError } from '../errors';

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
/** Default deadline for one key refresh (metadata + JWKS). */
export const TEAMS_FETCH_TIMEOUT_MS = 5_000;
/** Largest metadata or JWKS answer read; a bigger one fails the refresh. */
export const TEAMS_MAX_KEYS_RESPONSE_BYTES = 1024 * 1024;

export interface TeamsVerifierOptions {
  readonly openIdMetadataUrl: string;
  readonly appId: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Deadline for one key refresh (metadata + JWKS together), default {@link TEAMS_FETCH_TIMEOUT_MS}. */
  readonly fetchTimeoutMs?: number;
}

export interface TeamsActivityForAuth {
  readonly serviceUrl?: unknown;
  readonly channelId?: unknown;
}

export interface TeamsVerifier {
  verify(authorization: string | undefined, activity: TeamsActivityForAuth): Promise<{ claims: JWTPayload }>;
}

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

interface KeyCache {
  readonly keys: readonly JWK[];
  readonly fetchedAt: number;
  /** Imported keys by kid, so a key is imported once per fetch. */
  readonly imported: Map<string, Promise<VerificationKey>>;
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/** Claim names a reason may mention (jose reports which claim failed; only known names are echoed). */
const NAMED_CLAIMS = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'jti', 'typ']);

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

/** Reads at most `cap` bytes of the body; a longer (or longer-declared) body is an error. */
async function readCapped(res: Response, cap: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > cap) {
    res.body?.cancel().catch(() => undefined);
    throw new Error('response too large');
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || !value) break;
    size += value.byteLength;
    if (size > cap) {
      reader.cancel().catch(() => undefined);
      throw new Error('response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `work`, or a rejection as soon as `signal` aborts (also when an injected fetch ignores the signal). */
function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('timed out'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A short reason for a jose (or other) verification failure: no token, claim values or key material. */
function reasonFor(err: unknown): string {
  if (err instanceof SignatureError) return err.message;
  if (err instanceof errors.JWTExpired) return 'token expired ("exp")';
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = NAMED_CLAIMS.has(err.claim) ? `"${err.claim}"` : 'a';
    if (err.reason === 'missing') return `missing ${claim} claim`;
    if (err.reason === 'invalid') return `invalid ${claim} claim`;
    if (err.claim === 'nbf') return 'token not yet valid ("nbf")';
    return `unexpected ${claim} claim`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed (RS256 only)';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad token signature';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed token';
  if (err instanceof errors.JOSENotSupported) return 'unsupported token';
  return 'token verification failed';
}

export function createTeamsVerifier(options: TeamsVerifierOptions): TeamsVerifier {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? TEAMS_FETCH_TIMEOUT_MS;
  let cache: KeyCache | null = null;
  let lastFetchAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<KeyCache> | null = null;

  async function getJson(url: string, signal: AbortSignal): Promise<unknown> {
    const res = await doFetch(url, { headers: { accept: 'application/json' }, signal });
    if (!res.ok) {
      res.body?.cancel().catch(() => undefined);
      throw new Error(`status ${res.status}`);
    }
    return JSON.parse(await readCapped(res, TEAMS_MAX_KEYS_RESPONSE_BYTES)) as unknown;
  }

  async function fetchKeys(signal: AbortSignal): Promise<KeyCache> {
    const startedAt = now();
    lastFetchAt = startedAt;
    const metadata = await getJson(options.openIdMetadataUrl, signal);
    const jwksUri = httpUrl((metadata as { jwks_uri?: unknown } | null)?.jwks_uri);
    if (!jwksUri) throw new Error('metadata without jwks_uri');
    const jwks = (await getJson(jwksUri, signal)) as { keys?: unknown } | null;
    if (!jwks || !Array.isArray(jwks.keys)) throw new Error('jwks without keys');
    signal.throwIfAborted();
    const keys = jwks.keys.filter((k: unknown): k is JWK => typeof k === 'object' && k !== null);
    cache = { keys, fetchedAt: startedAt, imported: new Map() };
    return cache;
  }

  function refresh(): Promise<KeyCache> {
    if (!inflight) {
      const signal = AbortSignal.timeout(fetchTimeoutMs);
      inflight = beforeDeadline(fetchKeys(signal), signal).finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  async function keysFor(kid: string): Promise<KeyCache> {
    const t = now();
    if (!cache || t - cache.fetchedAt >= TEAMS_KEYS_MAX_AGE_MS) return refresh();
    const known = cache.keys.some((k) => k.kid === kid);
    if (!known && (inflight || t - lastFetchAt >= TEAMS_REFETCH_MIN_INTERVAL_MS)) return refresh();
    return cache;
  }

  function importKey(from: KeyCache, jwk: JWK & { kid: string }): Promise<VerificationKey> {
    let key = from.imported.get(jwk.kid);
    if (!key) {
      const { kty, n, e } = jwk;
      key =
        kty === 'RSA' && typeof n === 'string' && typeof e === 'string'
          ? importJWK({ kty, n, e }, 'RS256')
          : Promise.reject(new Error('not an RSA key'));
      key.catch(() => undefined);
      from.imported.set(jwk.kid, key);
    }
    return key;
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

    // jose calls this only after the header parsed and its `alg` is RS256.
    const getKey: JWTVerifyGetKey = async (header) => {
      const kid = typeof header.kid === 'string' && header.kid !== '' ? header.kid : null;
      if (!kid) throw new SignatureError('token has no kid');
      let keys: KeyCache;
      try {
        keys = await keysFor(kid);
      } catch {
        throw new SignatureError('signing keys unavailable');
      }
      const jwk = keys.keys.find((k): k is JWK & { kid: string } => k.kid === kid);
      if (!jwk) throw new SignatureError('unknown signing key');
      if (!Array.isArray(jwk.endorsements) || !jwk.endorsements.includes(channelId)) {
        throw new SignatureError('signing key not endorsed for msteams');
      }
      try {
        return await importKey(keys, jwk);
      } catch {
        throw new SignatureError('unusable signing key');
      }
    };

    let claims: JWTPayload;
    try {
      const { payload } = await jwtVerify<JWTPayload>(token, getKey, {
        algorithms: ['RS256'],
        issuer: TEAMS_ISSUER,
        audience: options.appId,
        clockTolerance: TEAMS_CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp'],
        currentDate: new Date(now()),
      });
      claims = payload;
    } catch (err) {
      throw new SignatureError(reasonFor(err));
    }
    const claimed = claims['serviceurl'];
    if (typeof claimed !== 'string' || !sameServiceUrl(claimed, serviceUrl)) {
      throw new SignatureError('serviceurl claim does not match the activity');
    }
    return { claims };
  }

  return { verify };
}
