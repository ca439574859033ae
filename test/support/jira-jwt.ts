import { generateKeyPairSync } from 'node:crypto';
import {
  AsymmetricAlgorithm,
  createQueryStringHash,
  encodeAsymmetric,
  encodeSymmetric,
  SymmetricAlgorithm,
} from 'atlassian-jwt';

/**
 * Mints Atlassian Connect JWTs the way Jira does for webhooks (HS256 over the shared secret, `qsh` bound to the
 * request), plus deliberately wrong tokens for negative tests. Test-only: never import from src.
 */

/** The request a token is minted for and the claims it carries. */
export interface ConnectTokenOptions {
  clientKey: string;
  method: string;
  /** Path relative to the app base URL, without query string. */
  path: string;
  /** Decoded query as Express parses it; a `jwt` key is ignored by the hash. */
  query?: Record<string, string | string[]>;
  /** Token lifetime: `exp = iat + expSeconds` (default 180, Atlassian's recommended 3 minutes). Negative → expired. */
  expSeconds?: number;
  /** Issued-at in seconds since the epoch (default: now). */
  iat?: number;
  /** Use this `qsh` instead of the one computed for method, path and query. */
  qshOverride?: string;
  /** Leave out `exp`. */
  omitExp?: boolean;
  /** Leave out `qsh`. */
  omitQsh?: boolean;
}

export interface SignConnectJwtOptions extends ConnectTokenOptions {
  sharedSecret: string;
  /** Symmetric algorithm to sign with (default HS256, the only one the verifier accepts). */
  alg?: SymmetricAlgorithm;
}

export interface MintRs256Options extends ConnectTokenOptions {
  /** Put this `kid` in the header, like an install/uninstall lifecycle token. */
  kid?: string;
}

/** The `qsh` Jira would send for this request (atlassian-jwt's canonical request hash). */
export function qshFor(method: string, path: string, query: Record<string, string | string[]> = {}): string {
  const copy = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));
  return createQueryStringHash({ method, pathname: path, query: copy });
}

/** The claims Jira puts in a webhook token: `iss` = clientKey, `iat`, `exp`, `qsh`. */
export function connectClaims(opts: ConnectTokenOptions): Record<string, unknown> {
  const iat = opts.iat ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { iss: opts.clientKey, iat };
  if (!opts.omitExp) claims['exp'] = iat + (opts.expSeconds ?? 180);
  if (!opts.omitQsh) claims['qsh'] = opts.qshOverride ?? qshFor(opts.method, opts.path, opts.query);
  return claims;
}

/** A Connect webhook token signed with the shared secret, as Jira sends it in `Authorization: JWT <token>`. */
export function signConnectJwt(opts: SignConnectJwtOptions): string {
  return encodeSymmetric(connectClaims(opts), opts.sharedSecret, opts.alg ?? SymmetricAlgorithm.HS256);
}

/** An unsigned token with `alg: none` and an empty signature segment (the classic bypass attempt). */
export function mintUnsignedNone(opts: ConnectTokenOptions): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'none' }));
  const payload = base64url(JSON.stringify(connectClaims(opts)));
  return `${header}.${payload}.`;
}

/**
 * A token with valid Connect claims signed RS256 with a fresh RSA key, with or without a `kid` header (the shape
 * of a lifecycle token). Signed with atlassian-jwt's encodeAsymmetric and a node:crypto key rather than jose,
 * because jose 6 is ESM-only and this jest setup (CommonJS on Node 20) cannot load it.
 */
export function mintRs256(opts: MintRs256Options): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const header = opts.kid === undefined ? undefined : { kid: opts.kid };
  return encodeAsymmetric(connectClaims(opts), pem, AsymmetricAlgorithm.RS256, header);
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
