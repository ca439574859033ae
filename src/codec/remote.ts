/**
 * Temporal's remote-codec protocol (what the Web UI and `temporal --codec-endpoint` send to /encode and /decode):
 * a Payloads message as proto3 JSON, `{ "payloads": [{ "metadata": { "<key>": "<base64>" }, "data": "<base64>" }] }`.
 */
import type { Payload } from '@temporalio/common';

export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Body the caller sent that is not a Payloads JSON object. */
export class CodecRequestError extends Error {
  override readonly name = 'InputError';
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function bytes(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new CodecRequestError(`${where}: want a base64 string`);
  return new Uint8Array(Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64'));
}

export function payloadsFromJson(body: unknown): Payload[] {
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (typeof body !== 'object' || body === null || !Array.isArray(list)) {
    throw new CodecRequestError('want {"payloads": [{"metadata": {...}, "data": "<base64>"}]}');
  }
  return list.map((p: unknown, i) => {
    if (typeof p !== 'object' || p === null) throw new CodecRequestError(`payloads[${i}]: want an object`);
    const { metadata, data } = p as { metadata?: unknown; data?: unknown };
    if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
      throw new CodecRequestError(`payloads[${i}].metadata: want an object of base64 strings`);
    }
    const meta: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries((metadata ?? {}) as Record<string, unknown>)) {
      meta[k] = bytes(v, `payloads[${i}].metadata.${k}`);
    }
    return { metadata: meta, data: data === undefined ? new Uint8Array() : bytes(data, `payloads[${i}].data`) };
  });
}

export function payloadsToJson(payloads: Payload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])
      ),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    })),
  };
}
