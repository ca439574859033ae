import { createHash } from 'node:crypto';

/** SHA-256 hex of the lower-cased, trimmed email; the same value as EMAIL_HASH_SQL computes in Postgres. */
export function emailSha256(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('hex');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
