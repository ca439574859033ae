/**
 * CODEC_KEYS: `id:base64,id:base64,...`, each a 32-byte AES-256 key under a short id. The first key encrypts;
 * every key listed decrypts, so a rotation puts the new key first and keeps the old ones until nothing stored
 * in Temporal (histories within the namespace's retention) still uses them.
 */

export interface CodecKey {
  readonly id: string;
  /** 32 bytes. Secret: never logged, never in errors. */
  readonly key: Buffer;
}

export interface CodecKeys {
  /** The key new payloads are encrypted with (the first one listed). */
  readonly primary: CodecKey;
  /** Every key, by id (the primary included). */
  readonly byId: ReadonlyMap<string, CodecKey>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Parses CODEC_KEYS; throws an Error naming the problem (never the key material). */
export function parseCodecKeys(spec: string): CodecKeys {
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new Error('no keys: want id:base64key[,id:base64key...]');
  const byId = new Map<string, CodecKey>();
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const material = colon > 0 ? entry.slice(colon + 1) : '';
    if (!KEY_ID.test(id)) {
      throw new Error(`key ${i + 1}: want id:base64key with an id of letters, digits, '.', '_' or '-'`);
    }
    if (byId.has(id)) throw new Error(`key id ${id} is listed twice`);
    const key = BASE64.test(material)
      ? Buffer.from(material, material.includes('-') || material.includes('_') ? 'base64url' : 'base64')
      : Buffer.alloc(0);
    if (key.length !== 32) throw new Error(`key ${id}: want 32 bytes in base64 (e.g. openssl rand -base64 32)`);
    byId.set(id, Object.freeze({ id, key }));
  }
  const primary = byId.get(entries[0]!.slice(0, entries[0]!.indexOf(':')))!;
  return Object.freeze({ primary, byId });
}
