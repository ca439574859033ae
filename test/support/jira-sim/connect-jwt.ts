/** The Atlassian Connect JWT check the simulator runs on every request (HS256, `qsh` recomputed). */
import {
  createQueryStringHash,
  decodeSymmetric,
  fromMethodAndUrl,
  getAlgorithm,
  SymmetricAlgorithm,
} from 'atlassian-jwt';

const JWT_SKEW_SECONDS = 30;

export interface ConnectAuth {
  sharedSecret: string;
  /** The expected `iss`. */
  appKey: string;
  /** The site's base URL, against which `qsh` is computed. */
  baseUrl: string;
}

/** Returns null when the request carries a valid Connect JWT, else the reason (no secrets in it). */
export function connectJwtProblem(
  method: string,
  rawUrl: string,
  authorization: string | undefined,
  auth: ConnectAuth
): string | null {
  const token = authorization?.startsWith('JWT ')
    ? authorization.slice(4).trim()
    : new URL(rawUrl, 'http://local').searchParams.get('jwt');
  if (!token) return 'Missing Connect JWT';
  let claims: Record<string, unknown>;
  try {
    if (getAlgorithm(token) !== 'HS256') return 'JWT algorithm must be HS256';
    claims = decodeSymmetric(token, auth.sharedSecret, SymmetricAlgorithm.HS256) as Record<string, unknown>;
  } catch {
    return 'JWT signature verification failed';
  }
  if (claims.iss !== auth.appKey) return 'JWT issuer is not an installed app';
  const nowSeconds = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + JWT_SKEW_SECONDS < nowSeconds) return 'JWT expired';
  if (typeof claims.iat !== 'number' || claims.iat - JWT_SKEW_SECONDS > nowSeconds) return 'JWT issued in the future';
  const expected = createQueryStringHash(fromMethodAndUrl(method, rawUrl), false, auth.baseUrl);
  if (claims.qsh !== expected) return 'JWT qsh does not match the request';
  return null;
}
