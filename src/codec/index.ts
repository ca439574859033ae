/**
 * The payload codec as the app uses it: `dataConverterFor(keys)` gives the DataConverter that every Temporal
 * Client and the Worker are built with (undefined when CODEC_KEYS is unset: no encryption, the SDK's default).
 */
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import type { CodecKeys } from './keys';

export { CodecError, EncryptionCodec, ENCODING, KEY_ID_METADATA } from './encryption-codec';
export type { CodecKey, CodecKeys } from './keys';
export { parseCodecKeys } from './keys';

export function createCodec(keys: CodecKeys | undefined): PayloadCodec | undefined {
  return keys ? new EncryptionCodec(keys) : undefined;
}

/** `{ payloadCodecs: [codec] }` with CODEC_KEYS set; undefined (the SDK's default converter) otherwise. */
export function dataConverterFor(keys: CodecKeys | undefined): DataConverter | undefined {
  const codec = createCodec(keys);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
