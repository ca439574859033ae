/**
 * Discord interaction signatures (SPEC §3.3, §6; reference §2.4): Ed25519 over `X-Signature-Timestamp` followed
 * by the raw body, with the application's public key (hex, 32 bytes), signature in `X-Signature-Ed25519` (hex,
 * 64 bytes). Verification is node:crypto's; nothing here does arithmetic on keys or signatures.
 *
 * Discord probes the endpoint with bad signatures on purpose, so every failure is an ordinary
 * {@link SignatureError} (401), never an exception of another kind: malformed hex, wrong lengths, a key that
 * node:crypto refuses, a stale or future timestamp. Reasons are short and never contain the body or the key.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignatureError } from '../errors';

/** A timestamp further than this from now (either way) is refused: a replay window of 5 minutes. */
export const DISCORD_TIMESTAMP_WINDOW_MS = 5 * 60_000;

const HEX = /^[0-9a-fA-F]*$/;
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** The headers and body a Discord signature covers. */
export interface DiscordSignedRequest {
  /** `X-Signature-Ed25519` (hex). */
  readonly signature: string | undefined;
  /** `X-Signature-Timestamp` (unix seconds, as Discord sends it). */
  readonly timestamp: string | undefined;
  readonly rawBody: Buffer;
}

/** Exactly `bytes` bytes of hex, else null (odd length, non-hex characters, wrong size). */
function hexBytes(value: string, bytes: number): Buffer | null {
  if (value.length !== bytes * 2 || !HEX.test(value)) return null;
  return Buffer.from(value, 'hex');
}

/** An Ed25519 public key from 32 raw bytes of hex, else null. */
export function ed25519PublicKey(publicKeyHex: string): KeyObject | null {
  const raw = hexBytes(publicKeyHex.trim(), KEY_BYTES);
  if (!raw) return null;
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return null;
  }
}

/** Throws SignatureError unless both headers are present, the signature is 64 bytes of hex and the time is fresh. */
export function checkSignatureHeaders(req: DiscordSignedRequest, nowMs: number = Date.now()): Buffer {
  if (!req.signature || !req.timestamp)
    throw new SignatureError('missing X-Signature-Ed25519 or X-Signature-Timestamp');
  const signature = hexBytes(req.signature, SIGNATURE_BYTES);
  if (!signature) throw new SignatureError('X-Signature-Ed25519 must be 64 bytes of hex');
  if (!/^\d{1,12}$/.test(req.timestamp)) throw new SignatureError('X-Signature-Timestamp must be unix seconds');
  if (Math.abs(nowMs - Number(req.timestamp) * 1000) > DISCORD_TIMESTAMP_WINDOW_MS)
    throw new SignatureError('X-Signature-Timestamp is more than 5 minutes away from now');
  return signature;
}

/**
 * True when `signature` (already checked by {@link checkSignatureHeaders}) verifies over timestamp + raw body
 * with the key; false for a wrong signature or a key that is not 32 bytes of hex. Never throws.
 */
export function verifyWithKey(publicKeyHex: string, req: DiscordSignedRequest, signature: Buffer): boolean {
  const key = ed25519PublicKey(publicKeyHex);
  if (!key) return false;
  try {
    const message = Buffer.concat([Buffer.from(req.timestamp ?? '', 'utf8'), req.rawBody]);
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/**
 * Verifies a request against the candidate keys (a Discord application has one key, but more than one
 * integration row may carry it) and returns the first candidate whose key verifies; SignatureError otherwise.
 */
export function verifyDiscordSignature<C extends { readonly publicKeyHex: string }>(
  req: DiscordSignedRequest,
  candidates: readonly C[],
  nowMs: number = Date.now()
): C {
  const signature = checkSignatureHeaders(req, nowMs);
  for (const c of candidates) if (verifyWithKey(c.publicKeyHex, req, signature)) return c;
  throw new SignatureError(candidates.length === 0 ? 'unknown application' : 'invalid signature');
}
