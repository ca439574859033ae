/**
 * Signed, expiring link tokens: `<PUBLIC_URL>/link/<token>` asks a tracker user to link a chat account.
 *
 * Format: `base64url(JSON payload) + '.' + base64url(HMAC-SHA256(secret, payload part))`; both parts use the
 * URL-safe alphabet without padding, so the token goes into a path segment as is. The payload names the chat
 * provider, the integration, the chat user, optionally the workflow run to wake, and the expiry (10 minutes
 * after creation by default; Teams links last as long as the run that sent them waits, 24 hours). Pure apart from node:crypto: worker and API code only, never the workflow bundle.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkProvider = 'discord' | 'msteams';

export interface LinkClaims {
  readonly provider: LinkProvider;
  readonly integrationId: number;
  readonly chatUserId: string;
  /** The run waiting for the link, signalled once the link is written. */
  readonly workflowId?: string;
  /** Expiry, in milliseconds since the epoch. */
  readonly expiresAtMs: number;
}

/** How long a link token stays valid. */
export const LINK_TOKEN_TTL_MS = 10 * 60 * 1000;

export type LinkTokenProblem = 'format' | 'signature' | 'expired';

/** A token that is malformed, not signed with this secret, or expired. */
export class InvalidLinkTokenError extends Error {
  override readonly name = 'InvalidLinkTokenError';
  constructor(
    readonly problem: LinkTokenProblem,
    message: string
  ) {
    super(message);
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const PROVIDERS: readonly string[] = ['discord', 'msteams'];

function mac(payloadPart: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payloadPart).digest();
}

export function createLinkToken(
  claims: { provider: LinkProvider; integrationId: number; chatUserId: string; workflowId?: string },
  secret: string,
  nowMs: number = Date.now(),
  ttlMs: number = LINK_TOKEN_TTL_MS
): string {
  if (!secret) throw new Error('createLinkToken: empty secret');
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new Error('createLinkToken: ttlMs must be a positive integer');
  if (!PROVIDERS.includes(claims.provider)) throw new Error(`createLinkToken: unknown provider ${claims.provider}`);
  if (!Number.isSafeInteger(claims.integrationId) || claims.integrationId <= 0) {
    throw new Error('createLinkToken: integrationId must be a positive integer');
  }
  if (!claims.chatUserId) throw new Error('createLinkToken: empty chatUserId');
  const payload: Record<string, unknown> = {
    p: claims.provider,
    i: claims.integrationId,
    u: claims.chatUserId,
    e: nowMs + ttlMs,
  };
  if (claims.workflowId) payload.w = claims.workflowId;
  const payloadPart = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${payloadPart}.${mac(payloadPart, secret).toString('base64url')}`;
}

export function verifyLinkToken(token: string, secret: string, nowMs: number = Date.now()): LinkClaims {
  if (!secret) throw new Error('verifyLinkToken: empty secret');
  if (typeof token !== 'string' || token.length > 4096) {
    throw new InvalidLinkTokenError('format', 'link token is malformed');
  }
  const parts = token.split('.');
  const [payloadPart, macPart] = parts;
  if (parts.length !== 2 || !payloadPart || !macPart || !BASE64URL.test(payloadPart) || !BASE64URL.test(macPart)) {
    throw new InvalidLinkTokenError('format', 'link token is malformed');
  }
  const expected = mac(payloadPart, secret);
  const given = Buffer.from(macPart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidLinkTokenError('signature', 'link token signature is invalid');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidLinkTokenError('format', 'link token payload is malformed');
  }
  if (typeof payload !== 'object' || payload === null) {
    throw new InvalidLinkTokenError('format', 'link token payload is malformed');
  }
  const { p, i, u, w, e } = payload as Record<string, unknown>;
  if (
    typeof p !== 'string' ||
    !PROVIDERS.includes(p) ||
    typeof i !== 'number' ||
    !Number.isSafeInteger(i) ||
    i <= 0 ||
    typeof u !== 'string' ||
    u === '' ||
    (w !== undefined && (typeof w !== 'string' || w === '')) ||
    typeof e !== 'number' ||
    !Number.isFinite(e)
  ) {
    throw new InvalidLinkTokenError('format', 'link token payload is malformed');
  }
  if (nowMs >= e) throw new InvalidLinkTokenError('expired', 'link token has expired');
  return {
    provider: p as LinkProvider,
    integrationId: i,
    chatUserId: u,
    ...(typeof w === 'string' ? { workflowId: w } : {}),
    expiresAtMs: e,
  };
}
