/**
 * The payload codec (src/codec): AES-256-GCM round trip, key ids and rotation, and the failures an operator must
 * be able to tell apart (unknown key id, tampered ciphertext).
 */
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { CodecError, ENCODING, EncryptionCodec, KEY_ID_METADATA, parseCodecKeys } from '../../src/codec';
import { loadConfig } from '../../src/config';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const json = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);

const INPUT = { groupId: 4242, email: 'jane@example.com', note: 'über secret ✓' };

test('encode → decode gives back the same payloads (metadata and data), and the ciphertext shows none of it', async () => {
  const codec = new EncryptionCodec(parseCodecKeys(`k1:${k1}`));
  const payloads = [json(INPUT), json(null), json('x'.repeat(100_000)), { metadata: {}, data: new Uint8Array() }];
  const encoded = await codec.encode(payloads);
  expect(encoded).toHaveLength(4);
  for (const p of encoded) {
    expect(text(p.metadata?.['encoding'])).toBe(ENCODING);
    expect(text(p.metadata?.[KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(p.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
  }
  const raw = text(encoded[0]!.data);
  for (const clear of ['4242', 'jane@example.com', 'secret', 'json/plain', 'groupId']) expect(raw).not.toContain(clear);
  const decoded = await codec.decode(encoded);
  expect(decoded.slice(0, 3).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
    INPUT,
    null,
    'x'.repeat(100_000),
  ]);
  expect(decoded[3]).toEqual({ metadata: {}, data: new Uint8Array() });
  expect(text(decoded[0]!.metadata?.['encoding'])).toBe('json/plain');
  // A fresh IV each time: the same payload never encrypts to the same bytes.
  const again = await codec.encode([json(INPUT)]);
  expect(Buffer.from(again[0]!.data!).equals(Buffer.from(encoded[0]!.data!))).toBe(false);
});

test('payloads that are not encrypted (histories from before the codec) pass through decode unchanged', async () => {
  const codec = new EncryptionCodec(parseCodecKeys(`k1:${k1}`));
  const clear = json(INPUT);
  expect(await codec.decode([clear])).toEqual([clear]);
});

test('a payload under a key id the codec does not have fails with a clear error naming the id', async () => {
  const encoded = await new EncryptionCodec(parseCodecKeys(`old:${k1}`)).encode([json(INPUT)]);
  const codec = new EncryptionCodec(parseCodecKeys(`k2:${k2}`));
  await expect(codec.decode(encoded)).rejects.toThrow(CodecError);
  await expect(codec.decode(encoded)).rejects.toThrow(
    "payload is encrypted with key id 'old', which is not in CODEC_KEYS (known: k2)"
  );
});

test('tampered ciphertext, a relabelled key id, a swapped key and a truncated payload all fail to decrypt', async () => {
  const codec = new EncryptionCodec(parseCodecKeys(`k1:${k1},k2:${k2}`));
  const [good] = await codec.encode([json(INPUT)]);
  const flipped = Buffer.from(good!.data!);
  flipped[20] = flipped[20]! ^ 0x01;
  await expect(codec.decode([{ ...good!, data: new Uint8Array(flipped) }])).rejects.toThrow(/failed authentication/);
  const tagFlipped = Buffer.from(good!.data!);
  tagFlipped[tagFlipped.length - 1] = tagFlipped[tagFlipped.length - 1]! ^ 0x80;
  await expect(codec.decode([{ ...good!, data: new Uint8Array(tagFlipped) }])).rejects.toThrow(CodecError);
  // Same ciphertext labelled with the other key id: the id is authenticated data, so this fails too.
  const relabelled = {
    ...good!,
    metadata: { ...good!.metadata, [KEY_ID_METADATA]: new Uint8Array(Buffer.from('k2')) },
  };
  await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
  // The right id but different key material under it.
  const swapped = new EncryptionCodec(parseCodecKeys(`k1:${k2}`));
  await expect(swapped.decode([good!])).rejects.toThrow(/failed authentication/);
  await expect(codec.decode([{ ...good!, data: good!.data!.subarray(0, 20) }])).rejects.toThrow(/truncated/);
  // The untouched payload still decodes (the failures above are not the codec being broken).
  expect(defaultPayloadConverter.fromPayload((await codec.decode([good!]))[0]!)).toEqual(INPUT);
});

test('rotation: data encrypted with k1 decrypts when k2 is primary, and new data is encrypted with k2', async () => {
  const before = new EncryptionCodec(parseCodecKeys(`k1:${k1}`));
  const old = await before.encode([json(INPUT)]);
  const after = new EncryptionCodec(parseCodecKeys(`k2:${k2},k1:${k1}`));
  expect(defaultPayloadConverter.fromPayload((await after.decode(old))[0]!)).toEqual(INPUT);
  const fresh = await after.encode([json(INPUT)]);
  expect(text(fresh[0]!.metadata?.[KEY_ID_METADATA])).toBe('k2');
  // The old codec cannot read what the new primary wrote, and once k1 is dropped, old data no longer reads.
  await expect(before.decode(fresh)).rejects.toThrow(/key id 'k2'/);
  await expect(new EncryptionCodec(parseCodecKeys(`k2:${k2}`)).decode(old)).rejects.toThrow(/key id 'k1'/);
});

test('CODEC_KEYS is parsed strictly, and its problems never print key material', () => {
  const keys = parseCodecKeys(` k2:${k2} , k1:${k1} `);
  expect(keys.primary.id).toBe('k2');
  expect([...keys.byId.keys()]).toEqual(['k2', 'k1']);
  expect(keys.byId.get('k1')!.key.equals(Buffer.from(k1, 'base64'))).toBe(true);
  expect(parseCodecKeys(`u:${Buffer.from(k1, 'base64').toString('base64url')}`).primary.key.length).toBe(32);
  const short = randomBytes(16).toString('base64');
  for (const [spec, message] of [
    ['', /no keys/],
    [`${k1}`, /key 1: want id:base64key/],
    [`k1:${short}`, /key k1: want 32 bytes/],
    [`k1:${k1},k1:${k2}`, /listed twice/],
    [`k 1:${k1}`, /key 1: want id/],
    ['k1:not base64!', /key k1: want 32 bytes/],
  ] as const) {
    expect(() => parseCodecKeys(spec)).toThrow(message);
    try {
      parseCodecKeys(spec);
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
      expect((err as Error).message).not.toContain(k1);
    }
  }
});

test('config: CODEC_KEYS unset means no codec; set, it is parsed; bad keys fail loadConfig; CORS origins default to the UI', () => {
  const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db' };
  const off = loadConfig(base);
  expect(off.codec.keys).toBeUndefined();
  expect(off.codec.corsOrigins).toEqual(['http://127.0.0.1:8233', 'http://localhost:8233']);
  const on = loadConfig({
    ...base,
    CODEC_KEYS: `k2:${k2},k1:${k1}`,
    CODEC_TOKEN: 'tok',
    CODEC_CORS_ORIGINS: 'https://temporal.example.com/, http://127.0.0.1:9000',
  });
  expect(on.codec.keys?.primary.id).toBe('k2');
  expect(on.codec.token).toBe('tok');
  expect(on.codec.corsOrigins).toEqual(['https://temporal.example.com', 'http://127.0.0.1:9000']);
  expect(loadConfig({ ...base, TEMPORAL_UI_PORT: '9233' }).codec.corsOrigins).toEqual([
    'http://127.0.0.1:9233',
    'http://localhost:9233',
  ]);
  expect(() => loadConfig({ ...base, CODEC_KEYS: 'k1:abcd' })).toThrow(/CODEC_KEYS: key k1: want 32 bytes/);
});
