/**
 * The Temporal UI's remote codec (POST /codec/decode, /codec/encode) through the real app: the bearer token,
 * CORS for the UI's origin only, the preflight, the Payloads JSON format, and errors a caller can act on.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Knex } from 'knex';
import type { Cache } from '../../src/activities/cache/cache';
import { createApp } from '../../src/api/app';
import { EncryptionCodec, parseCodecKeys } from '../../src/codec';
import { payloadsToJson } from '../../src/codec/remote';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';

const TOKEN = 'codec-token-0123456789';
const UI = 'http://127.0.0.1:8233';
const codec = new EncryptionCodec(parseCodecKeys(`k1:${randomBytes(32).toString('base64')}`));

let server: Server;
let base: string;

async function listen(opts: Parameters<typeof createApp>[0]['codec']): Promise<{ server: Server; base: string }> {
  // The codec route needs none of these; the stubs make any other use fail loudly.
  const app = createApp({
    db: {} as Knex,
    cache: {} as Cache,
    temporal: {} as Client,
    taskQueue: 'unused',
    apiToken: 'api-token',
    logger: createLogger('silent'),
    metrics: createMetrics(),
    codec: opts,
  });
  const s: Server = await new Promise((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  return { server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  ({ server, base } = await listen({
    codec,
    token: TOKEN,
    allowedOrigins: [UI, 'http://localhost:8233'],
  }));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}, url = base) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const INPUT = { groupId: 4242, key: 'APP-123' };
const bearer = { authorization: `Bearer ${TOKEN}` };

test('decode with the right token answers clear payloads in the remote-codec JSON format', async () => {
  const encrypted = payloadsToJson(await codec.encode([defaultPayloadConverter.toPayload(INPUT)]));
  expect(encrypted.payloads[0]!.metadata).toMatchObject({
    encoding: Buffer.from('binary/encrypted').toString('base64'),
  });
  const res = await post('/codec/decode', encrypted, { ...bearer, 'x-namespace': 'default', origin: UI });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    payloads: [
      {
        metadata: { encoding: Buffer.from('json/plain').toString('base64') },
        data: Buffer.from(JSON.stringify(INPUT)).toString('base64'),
      },
    ],
  });
});

test('encode then decode through the endpoint round-trips, and encode answers ciphertext', async () => {
  const clear = payloadsToJson([defaultPayloadConverter.toPayload(INPUT)]);
  const enc = await post('/codec/encode', clear, bearer);
  expect(enc.status).toBe(200);
  expect(Buffer.from(enc.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  expect(Buffer.from(enc.body.payloads[0].data, 'base64').toString('latin1')).not.toContain('APP-123');
  const dec = await post('/codec/decode', enc.body, bearer);
  expect(dec.body).toEqual(clear);
});

test('a missing or wrong bearer token gets 401 and decodes nothing', async () => {
  const encrypted = payloadsToJson(await codec.encode([defaultPayloadConverter.toPayload(INPUT)]));
  for (const headers of <Array<Record<string, string>>>[
    {},
    { authorization: 'Bearer wrong' },
    { authorization: `Bearer ${TOKEN}x` },
    { authorization: TOKEN },
    { authorization: 'Bearer api-token' }, // the /api token is not the codec token
  ]) {
    const res = await post('/codec/decode', encrypted, { ...headers, origin: UI });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { name: 'AuthError', message: 'missing or wrong bearer token for /codec' } });
    expect(JSON.stringify(res.body)).not.toContain(Buffer.from(JSON.stringify(INPUT)).toString('base64'));
    // The browser may still read the 401 (CORS headers for the UI), so the UI can say what is wrong.
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
  }
});

test('CORS headers only for the allowed origins', async () => {
  const body = payloadsToJson([defaultPayloadConverter.toPayload(INPUT)]);
  for (const origin of [UI, 'http://localhost:8233']) {
    const res = await post('/codec/decode', body, { ...bearer, origin });
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/Origin/);
  }
  for (const origin of ['http://evil.example', 'http://127.0.0.1:8234', 'http://127.0.0.1:8233.evil.example', 'null']) {
    const res = await post('/codec/decode', body, { ...bearer, origin });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  }
  const none = await post('/codec/decode', body, bearer);
  expect(none.status).toBe(200);
  expect(none.headers.get('access-control-allow-origin')).toBeNull();
});

test('the preflight: 204 with methods and headers for the UI origin, 403 without CORS headers for others', async () => {
  const preflight = (origin: string) =>
    fetch(`${base}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
  const ok = await preflight(UI);
  expect(ok.status).toBe(204);
  expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
  expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
  const allowed = (ok.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  for (const h of ['authorization', 'content-type', 'x-namespace']) expect(allowed).toContain(h);
  const bad = await preflight('http://evil.example');
  expect(bad.status).toBe(403);
  expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  expect(bad.headers.get('access-control-allow-methods')).toBeNull();
});

test('a payload the codec cannot decrypt, or a body that is not Payloads JSON, gets 400 with the reason', async () => {
  const [p] = await codec.encode([defaultPayloadConverter.toPayload(INPUT)]);
  const data = Buffer.from(p!.data!);
  data[15] = data[15]! ^ 0xff;
  const tampered = await post('/codec/decode', payloadsToJson([{ ...p!, data: new Uint8Array(data) }]), bearer);
  expect(tampered.status).toBe(400);
  expect(tampered.body.error.message).toMatch(/failed authentication/);
  const foreign = payloadsToJson(
    await new EncryptionCodec(parseCodecKeys(`k9:${randomBytes(32).toString('base64')}`)).encode([p!])
  );
  const unknown = await post('/codec/decode', foreign, bearer);
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.message).toMatch(/key id 'k9'/);
  expect((await post('/codec/decode', { nope: 1 }, bearer)).status).toBe(400);
  expect((await post('/codec/decode', { payloads: [{ data: '!!' }] }, bearer)).status).toBe(400);
});

test('without CODEC_KEYS the endpoint answers 503; without CODEC_TOKEN it answers loopback clients', async () => {
  const off = await listen({ codec: undefined, token: TOKEN, allowedOrigins: [UI] });
  const open = await listen({ codec, token: undefined, allowedOrigins: [UI] });
  try {
    const res = await post('/codec/decode', { payloads: [] }, bearer, off.base);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/CODEC_KEYS is not set/);
    const encrypted = payloadsToJson(await codec.encode([defaultPayloadConverter.toPayload(INPUT)]));
    const loop = await post('/codec/decode', encrypted, {}, open.base); // we are 127.0.0.1
    expect(loop.status).toBe(200);
    expect(Buffer.from(loop.body.payloads[0].data, 'base64').toString()).toBe(JSON.stringify(INPUT));
  } finally {
    await new Promise<void>((resolve) => off.server.close(() => resolve()));
    await new Promise<void>((resolve) => open.server.close(() => resolve()));
  }
});
