/**
 * The payload codec end to end: a real jiraIssueUpdated run on the dev server with CODEC_KEYS set. Read without
 * the codec, its stored history holds only ciphertext (no issue key, account id or group id in any payload; search
 * attributes stay clear); read with the codec, and through the API's /codec/decode, it is the clear input.
 * With RECORD_HISTORIES=1 the raw history is saved under test/replay/histories-encrypted/ for the replay test.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec, parseCodecKeys } from '../../src/codec';
import { payloadsToJson } from '../../src/codec/remote';
import { findTemporalCli } from '../../src/dev/temporal-dev-server';
import { TEST_CODEC_KEYS } from '../replay/histories-encrypted/test-keys';
import type { JiraSimulator } from '../support/jira-simulator';
import { startJiraSimulator } from '../support/jira-simulator';
import type { World } from '../support/jira-world';
import { CLIENT_KEY, JANE, SHARED_SECRET, issuePayload, seedWorld, sendWebhook } from '../support/jira-world';
import type { Stack } from '../support/stack';
import { startStack, truncateAll } from '../support/stack';

const CODEC_TOKEN = 'codec-itest-token';
const codec = new EncryptionCodec(parseCodecKeys(TEST_CODEC_KEYS));

let jira: JiraSimulator;
let stack: Stack;
let w: World;

beforeAll(async () => {
  jira = await startJiraSimulator({ clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET });
  stack = await startStack({ env: { CODEC_KEYS: TEST_CODEC_KEYS, CODEC_TOKEN } });
});
afterAll(async () => {
  await stack?.stop();
  await jira?.close();
});
beforeEach(async () => {
  jira.reset();
  await truncateAll(stack.db);
  w = await seedWorld(stack.db, jira);
});

interface Found {
  readonly where: string;
  readonly payload: Payload;
}

const isPayload = (v: unknown): v is Payload =>
  typeof v === 'object' && v !== null && 'metadata' in v && typeof (v as Payload).metadata === 'object';

/** Every payload in a raw history, with where it sits (e.g. `3.activityTaskScheduledEventAttributes.input.payloads.0`). */
function payloadsIn(value: unknown, where = ''): Found[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  if (isPayload(value) && (value.data instanceof Uint8Array || value.data == null)) return [{ where, payload: value }];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    payloadsIn(v, where ? `${where}.${k}` : k)
  );
}

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

test('When a workflow runs with the codec, Then Temporal stores ciphertext, and the codec (and /codec/decode) reads it back', async () => {
  const updated = new Date(Date.UTC(2026, 10, 3, 8, 1)).toISOString();
  const sent = await sendWebhook(
    stack.api,
    issuePayload({ changedFields: ['assignee'], updated, assignee: { ...JANE, emailAddress: JANE.email } }),
    { identifier: 'codec-1' }
  );
  expect(sent.status).toBe(202);
  const workflowId = sent.body.workflowId as string;

  // With the codec (the stack's client): the result decodes.
  const result = (await stack.client.workflow.getHandle(workflowId).result()) as Record<string, unknown>;
  expect(result).toMatchObject({ outcome: 'applied' });

  // Without the codec: the raw history as Temporal stores it.
  const raw = new Client({ connection: stack.client.connection, namespace: stack.config.temporal.namespace });
  const history = await raw.workflow.getHandle(workflowId).fetchHistory();
  const found = payloadsIn(history.events);
  const searchAttributes = found.filter((f) => f.where.includes('searchAttributes'));
  const codecPayloads = found.filter((f) => !f.where.includes('searchAttributes'));
  // Input, summaries, activity inputs and results, the workflow result: all there, all encrypted.
  expect(codecPayloads.some((f) => f.where.includes('workflowExecutionStartedEventAttributes.input'))).toBe(true);
  expect(codecPayloads.some((f) => f.where.includes('activityTaskCompletedEventAttributes.result'))).toBe(true);
  expect(codecPayloads.some((f) => f.where.includes('workflowExecutionCompletedEventAttributes.result'))).toBe(true);
  const summaries = codecPayloads.filter((f) => f.where.includes('userMetadata.summary'));
  expect(summaries.length).toBeGreaterThan(0); // the SDK passes static summaries through the codec too
  // patched() markers are written by the SDK's core with the patch id only, past the codec: clear, and no data.
  const patchMarkers = codecPayloads.filter((f) =>
    /markerRecordedEventAttributes\.details\.patch-data\./.test(f.where)
  );
  for (const f of patchMarkers)
    expect(JSON.parse(text(f.payload.data))).toEqual({ id: expect.any(String), deprecated: expect.any(Boolean) });
  // Local-activity markers (the database steps): core writes their bookkeeping (type, attempt, times) in clear,
  // past the codec, as it does for patches; the step's result in the same marker goes through the codec.
  const localMarkers = codecPayloads.filter((f) => /markerRecordedEventAttributes\.details\.data\./.test(f.where));
  expect(localMarkers.length).toBeGreaterThan(0);
  const LOCAL_MARKER_KEYS = [
    'activity_id',
    'activity_type',
    'attempt',
    'backoff',
    'complete_time',
    'original_schedule_time',
    'seq',
  ];
  for (const f of localMarkers)
    for (const key of Object.keys(JSON.parse(text(f.payload.data)) as object)) expect(LOCAL_MARKER_KEYS).toContain(key);
  expect(codecPayloads.some((f) => /markerRecordedEventAttributes\.details\.result\./.test(f.where))).toBe(true);
  const coreMetadata = [...patchMarkers, ...localMarkers];
  for (const f of codecPayloads.filter((x) => !coreMetadata.includes(x))) {
    expect([f.where, text(f.payload.metadata?.['encoding'])]).toEqual([f.where, 'binary/encrypted']);
    expect(text(f.payload.metadata?.['encryption-key-id'])).toBe('itest1');
  }
  const ciphertext = codecPayloads
    .filter((x) => !patchMarkers.includes(x))
    .map((f) => Buffer.from(f.payload.data ?? []).toString('latin1'))
    .join('\n');
  for (const clear of ['APP-123', '10001', JANE.accountId, JANE.displayName, JANE.email, 'json/plain', 'groupIds']) {
    expect(ciphertext).not.toContain(clear);
  }
  expect(ciphertext).not.toMatch(new RegExp(`"groupIds?":\\[?${w.groupId}\\b`));
  // Search attributes are not payloads the codec sees: they stay clear (and hold ids only).
  const sa = searchAttributes.map((f) => text(f.payload.data)).join('\n');
  expect(sa).toContain('APP-123');
  expect(sa).toContain(String(w.groupId));
  expect(sa).not.toContain(JANE.email);
  // A client without the codec cannot read the result.
  await expect(raw.workflow.getHandle(workflowId).result()).rejects.toThrow(/Unknown encoding: binary\/encrypted/);

  // With the codec: every stored payload decodes, and the input is the clear one.
  const started = codecPayloads.find((f) => f.where.includes('workflowExecutionStartedEventAttributes.input'))!;
  const [input] = await codec.decode([started.payload]);
  expect(defaultPayloadConverter.fromPayload(input!)).toMatchObject({ issue: { id: '10001', key: 'APP-123' } });
  const decoded = await codec.decode(codecPayloads.map((f) => f.payload));
  const clearText = decoded.map((p) => text(p.data)).join('\n');
  expect(clearText).toContain(`Jira APP-123 updated: assignee`); // the static summary
  expect(clearText).toContain(JANE.accountId);
  expect(clearText).toMatch(new RegExp(`\\b${w.groupId}\\b`));

  // The Temporal UI's way: the API's remote codec decodes the stored payload.
  const res = await fetch(`${stack.api}/codec/decode`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${CODEC_TOKEN}`,
      origin: 'http://127.0.0.1:8233',
      'x-namespace': stack.config.temporal.namespace,
    },
    body: JSON.stringify(payloadsToJson([started.payload])),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
  const body = (await res.json()) as { payloads: Array<{ data: string }> };
  expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toContain('"key":"APP-123"');
  const denied = await fetch(`${stack.api}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
    body: JSON.stringify(payloadsToJson([started.payload])),
  });
  expect(denied.status).toBe(401);

  if (process.env.RECORD_HISTORIES === '1') recordEncrypted(workflowId, 'assign-encrypted');
});

/** The raw (encrypted) history as `temporal workflow show --output json` prints it, for replay.test.ts. */
function recordEncrypted(workflowId: string, name: string): void {
  const json = execFileSync(
    findTemporalCli({ build: false }),
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', process.env.TEMPORAL_ADDRESS!],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }
  );
  const dir = path.resolve(__dirname, '..', 'replay', 'histories-encrypted', 'jiraIssueUpdated');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), json.endsWith('\n') ? json : `${json}\n`);
}
