/**
 * The payload codec: every payload the SDK sends to Temporal (workflow and activity inputs and results, signal
 * and update arguments, failures' details, memo, static summaries) leaves this process encrypted with
 * AES-256-GCM, and comes back decrypted. Search attributes are not payloads the codec sees; they stay clear.
 *
 * An encrypted payload, as in Temporal's encryption samples:
 *   metadata: { encoding: "binary/encrypted", "encryption-key-id": <key id> }
 *   data:     12-byte IV ‖ ciphertext ‖ 16-byte GCM tag
 * The plaintext is the original Payload serialized as protobuf (temporal.api.common.v1.Payload), so metadata
 * such as `encoding: json/plain` is encrypted too. The key id is bound as additional authenticated data, so a
 * payload relabelled with another key id fails like a tampered one.
 *
 * Payloads that are not `binary/encrypted` pass through decode unchanged: histories written before the codec was
 * turned on still read and replay.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import protobuf from 'protobufjs';
import type { CodecKeys } from './keys';

export const ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Wire-compatible with temporal.api.common.v1.Payload (field 1: map<string, bytes> metadata; field 2: bytes data). */
const PayloadMessage = new protobuf.Type('Payload')
  .add(new protobuf.MapField('metadata', 1, 'string', 'bytes'))
  .add(new protobuf.Field('data', 2, 'bytes'));
new protobuf.Root().add(PayloadMessage);

/** A payload the codec cannot decrypt: unknown key id, tampered or truncated ciphertext, or a wrong key. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('utf8') : '');

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a failure is a rejection, not a throw
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encryptOne(p));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a failure is a rejection, not a throw
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decryptOne(p));
  }

  private encryptOne(payload: Payload): Payload {
    const { id, key } = this.keys.primary;
    const plain = PayloadMessage.encode(
      PayloadMessage.create({ metadata: payload.metadata ?? {}, data: payload.data ?? new Uint8Array() })
    ).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const body = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: utf8(ENCODING), [KEY_ID_METADATA]: utf8(id) },
      data: new Uint8Array(body),
    };
  }

  private decryptOne(payload: Payload): Payload {
    if (text(payload.metadata?.['encoding']) !== ENCODING) return payload;
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    const entry = this.keys.byId.get(id);
    if (!entry) {
      throw new CodecError(
        `payload is encrypted with key id '${id}', which is not in CODEC_KEYS (known: ${[...this.keys.byId.keys()].join(', ')})`
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecError(`encrypted payload (key id '${id}') is truncated`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecError(
        `encrypted payload (key id '${id}') failed authentication: tampered, truncated, or key '${id}' is not the key it was encrypted with`
      );
    }
    const decoded = PayloadMessage.toObject(PayloadMessage.decode(plain), { defaults: true }) as {
      metadata?: Record<string, Uint8Array>;
      data?: Uint8Array;
    };
    const metadata: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(decoded.metadata ?? {})) metadata[k] = new Uint8Array(v);
    return { metadata, data: new Uint8Array(decoded.data ?? new Uint8Array()) };
  }
}
