/**
 * Issue 12 hole 7: while Temporal is known to be down, a webhook gets its 503 in under a second (not after the
 * full start deadline), and once Temporal is back the API starts runs again (and /readyz turns green) within five
 * seconds. Temporal sits behind a TCP proxy the test takes down and brings back; the API uses the production
 * connection options (temporalConnectionOptions) and createApp as server.ts builds it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { temporalConnectionOptions } from '../../src/api/temporal-start';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { useJiraSuite } from '../support/jira-suite';
import { issuePayload, sendWebhook } from '../support/jira-world';
import { API_TOKEN } from '../support/stack';
import type { TcpProxy } from '../support/tcp-proxy';
import { hostPort, startTcpProxy } from '../support/tcp-proxy';

jest.setTimeout(90_000);

const suite = useJiraSuite();
let proxy: TcpProxy;
let connection: Connection;
let server: Server;
let api: string;

beforeAll(async () => {
  proxy = await startTcpProxy(hostPort(process.env.TEMPORAL_ADDRESS!));
  connection = await Connection.connect(temporalConnectionOptions(proxy.address));
  const app = createApp({
    db: suite.stack.db,
    cache: suite.stack.cache,
    temporal: new Client({ connection, namespace: suite.stack.config.temporal.namespace }),
    taskQueue: suite.stack.config.temporal.taskQueue,
    apiToken: API_TOKEN,
    logger: createLogger('silent'),
    metrics: createMetrics(),
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await connection?.close();
  await proxy?.close();
});

let n = 0;
async function timedWebhook(): Promise<{ status: number; ms: number }> {
  n += 1;
  const payload = issuePayload({
    changedFields: ['status'],
    updated: new Date(Date.now() - 60_000 + n).toISOString(),
    statusCategoryKey: n % 2 === 0 ? 'done' : 'new',
  });
  const t0 = performance.now();
  const res = await sendWebhook(api, payload, { identifier: `outage-${Date.now()}-${n}` });
  return { status: res.status, ms: performance.now() - t0 };
}

test('503 in under a second while Temporal is known down; 202 and /readyz 200 within 5 s of its return', async () => {
  expect((await timedWebhook()).status).toBe(202);

  await proxy.down();
  const first = await timedWebhook();
  expect(first.status).toBe(503);
  const next = [await timedWebhook(), await timedWebhook(), await timedWebhook()];
  for (const r of next) {
    expect(r.status).toBe(503);
    expect(r.ms).toBeLessThan(1_000);
  }
  // The rows stay `accepted` (each 503 keeps its row for the provider's retry).
  expect(await suite.stack.db('webhook_deliveries').where('status', 'accepted')).toHaveLength(4);

  await proxy.up();
  const back = Date.now();
  let accepted: number | null = null;
  let ready: number | null = null;
  while (Date.now() - back < 10_000 && (accepted === null || ready === null)) {
    if (accepted === null && (await timedWebhook()).status === 202) accepted = Date.now() - back;
    if (ready === null && (await fetch(`${api}/readyz`)).status === 200) ready = Date.now() - back;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(accepted).not.toBeNull();
  expect(accepted!).toBeLessThan(5_000);
  expect(ready).not.toBeNull();
  expect(ready!).toBeLessThan(5_000);
});
