import { createHash, timingSafeEqual } from 'node:crypto';
import { createQueryStringHash, decodeSymmetric, getAlgorithm, SymmetricAlgorithm } from 'atlassian-jwt';
import type { Params } from 'atlassian-jwt';
import { SignatureError } from '../errors';

/**
 * The parts of an incoming HTTP request that a Connect JWT is bound to.
 *
 * `path` is the request path relative to the app's base URL, without host or query string (what Jira signs in
 * `qsh`; for an app served at the root this is Express's `new URL(req.originalUrl, 'http://x').pathname`, not the
 * router-relative `req.path`). `query` is the decoded query, as Express's default parser yields it; the `jwt`
 * parameter may be left in, it is excluded from `qsh`. `authorization` is the raw `Authorization` header.
 */
export interface ConnectRequest {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  authorization?: string | undefined;
}

/**
 * Finds the Jira integration installed with this Connect `clientKey` (the token's `iss`) and the `sharedSecret`
 * stored from its `installed` lifecycle callback; `null` when no integration has that key. A lookup that fails
 * (database down) should throw its own error: that is not a signature failure and must not become a 401.
 */
export interface JiraSecretLookup {
  (clientKey: string): Promise<{ integrationId: number; sharedSecret: string } | null>;
}

/** The integration a verified Connect request belongs to. */
export interface VerifiedJira {
  integrationId: number;
  clientKey: string;
}

/** Tokens whose `exp` lies at most this far in the past are still accepted (clock skew between Jira and us). */
export const JIRA_JWT_SKEW_MS = 30_000;

/**
 * The longest life a token may claim (`exp - iat`, and `exp - now`). Jira issues webhook tokens that live
 * 3 minutes; a token valid for hours or years is not Jira's and would be replayable for that long.
 */
export const JIRA_JWT_MAX_LIFETIME_S = 600;

/** Longer tokens are rejected unparsed; a Connect JWT is a few hundred bytes. */
const MAX_TOKEN_LENGTH = 8_192;

const ACCEPTED_ALG = SymmetricAlgorithm.HS256;

/**
 * Verifies an incoming Atlassian Connect webhook request (SPEC §6, reference §2.1) and says which integration
 * sent it.
 *
 * The token comes from `Authorization: JWT <token>`, else from the `jwt` query parameter. Checks, in this order so
 * that nothing is looked up or trusted before it has to be: the token is present and well formed; the header `alg`
 * is exactly HS256 (`none`, HS384/512 and every RS* are refused, so a lifecycle token signed RS256 with a `kid`
 * cannot be replayed here, and no algorithm confusion is possible); the unverified `iss` names a known integration;
 * the HS256 signature verifies with that integration's shared secret (constant-time, by atlassian-jwt); `exp` is
 * present and not more than {@link JIRA_JWT_SKEW_MS} in the past, `iat` not more than that in the future, and the
 * token lives at most {@link JIRA_JWT_MAX_LIFETIME_S} (`exp - iat`, and `exp` from now); `qsh` equals the hash atlassian-jwt computes from
 * method, path and sorted query without `jwt` (compared in constant time), which binds the token to this request.
 *
 * Every rejection throws {@link SignatureError} (→ 401) with a short reason that never contains the token, the
 * secret or the claims. Errors thrown by `lookup` itself propagate unchanged.
 *
 * @param nowMs the current time in ms since the epoch; injectable for tests.
 */
export async function verifyConnectJwt(
  req: ConnectRequest,
  lookup: JiraSecretLookup,
  nowMs: number = Date.now()
): Promise<VerifiedJira> {
  const token = extractToken(req);
  checkAlgorithm(token);
  const clientKey = readIssuer(token);
  const installed = await lookup(clientKey);
  if (installed == null) throw new SignatureError('unknown iss');
  const claims = verifySignature(token, installed.sharedSecret);
  checkTimes(claims, nowMs);
  checkQueryStringHash(claims, req);
  return { integrationId: installed.integrationId, clientKey };
}

/** The token from the `JWT` authorization scheme, else from `?jwt=`; a repeated `jwt` parameter is ambiguous. */
function extractToken(req: ConnectRequest): string {
  const fromHeader = /^JWT\s+(\S+)\s*$/i.exec(req.authorization ?? '')?.[1];
  const fromQuery = req.query['jwt'];
  if (Array.isArray(fromQuery) && fromHeader === undefined) throw new SignatureError('more than one token');
  const token = fromHeader ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
  if (token === undefined || token === '') throw new SignatureError('missing token');
  if (token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3) throw new SignatureError('malformed token');
  return token;
}

/** Refuses every algorithm but HS256 before any key is involved. */
function checkAlgorithm(token: string): void {
  const alg = parseOrReject(() => getAlgorithm(token) as unknown);
  if (alg === ACCEPTED_ALG) return;
  if (alg === undefined || alg === null) throw new SignatureError('missing alg');
  throw new SignatureError(`unsupported alg ${describeAlg(alg)}`);
}

/** Names the refused algorithm when it looks like one, without echoing arbitrary attacker input into logs. */
function describeAlg(alg: unknown): string {
  return typeof alg === 'string' && /^[A-Za-z0-9]{1,16}$/.test(alg) ? alg : '(invalid)';
}

/** The unverified `iss` (the tenant's clientKey), used only to find the secret to verify with. */
function readIssuer(token: string): string {
  const claims = parseOrReject(() => decodeSymmetric(token, '', ACCEPTED_ALG, true) as unknown);
  if (!isRecord(claims)) throw new SignatureError('malformed token');
  const iss = claims['iss'];
  if (typeof iss !== 'string' || iss === '') throw new SignatureError('missing iss');
  return iss;
}

/** Verifies the HS256 signature (atlassian-jwt compares with timingSafeEqual) and returns the claims. */
function verifySignature(token: string, sharedSecret: string): Record<string, unknown> {
  if (sharedSecret === '') throw new SignatureError('bad signature');
  let claims: unknown;
  try {
    claims = decodeSymmetric(token, sharedSecret, ACCEPTED_ALG);
  } catch {
    // The library's message contains the signing input; never pass it on.
    throw new SignatureError('bad signature');
  }
  if (!isRecord(claims)) throw new SignatureError('malformed token');
  return claims;
}

/**
 * `exp` is present and not past (beyond the skew); `iat`, when present, is not in the future (beyond the skew);
 * and the token does not live longer than Jira's do: `exp - iat` at most {@link JIRA_JWT_MAX_LIFETIME_S}, and
 * `exp` at most that far ahead of now either way (a token without `iat` cannot claim a longer life).
 */
function checkTimes(claims: Record<string, unknown>, nowMs: number): void {
  const exp = claims['exp'];
  if (exp === undefined || exp === null) throw new SignatureError('missing exp');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new SignatureError('invalid exp');
  if (nowMs > exp * 1000 + JIRA_JWT_SKEW_MS) throw new SignatureError('JWT expired');
  const iat = claims['iat'];
  if (iat !== undefined && iat !== null) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new SignatureError('invalid iat');
    if (iat * 1000 > nowMs + JIRA_JWT_SKEW_MS) throw new SignatureError('iat in the future');
    if (exp - iat > JIRA_JWT_MAX_LIFETIME_S) throw new SignatureError('JWT lifetime too long');
  }
  if (exp * 1000 > nowMs + JIRA_JWT_MAX_LIFETIME_S * 1000 + JIRA_JWT_SKEW_MS)
    throw new SignatureError('exp too far ahead');
}

function checkQueryStringHash(claims: Record<string, unknown>, req: ConnectRequest): void {
  const qsh = claims['qsh'];
  if (qsh === undefined || qsh === null || qsh === '') throw new SignatureError('missing qsh');
  if (typeof qsh !== 'string') throw new SignatureError('qsh mismatch');
  const expected = createQueryStringHash({ method: req.method, pathname: req.path, query: qshQuery(req.query) });
  if (!constantTimeEqual(qsh, expected)) throw new SignatureError('qsh mismatch');
}

/**
 * A copy of the query in the shape atlassian-jwt hashes: absent values dropped (Jira never signs them), arrays
 * copied because the library sorts them in place. Anything else than strings cannot have been signed by Jira.
 */
function qshQuery(query: ConnectRequest['query']): Params {
  const copy: Params = Object.create(null) as Params;
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (typeof value === 'string') copy[key] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) copy[key] = [...value];
    else throw new SignatureError('unsupported query value');
  }
  return copy;
}

/** Equal-length digests make the comparison independent of where, and whether, the inputs differ in length. */
function constantTimeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function parseOrReject<T>(parse: () => T): T {
  try {
    return parse();
  } catch {
    throw new SignatureError('malformed token');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
