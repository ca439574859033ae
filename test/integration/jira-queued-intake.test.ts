/**
 * JIRA_INTAKE=queued (issue 10, P1): the API answers 202 once the delivery row is committed and never starts the
 * run itself; this process's delivery pump is woken and starts it, also after Temporal was down. The API is built
 * by startApi (server.ts) as in production, with Temporal behind a TCP proxy the test takes down and brings back.
 */
import { Connection } from '@temporalio/client';
import type { ApiHandle } from '../../src/api/server';
import { startApi } from '../../src/api/server';
import { PUMP_MIN_AGE_MS } from '../../src/api/pump';
import { temporalConnectionOptions } from '../../src/api/temporal-start';
import { createLogger } from '../../src/logger';
import { useJiraSuite } from '../support/jira-suite';
import { delivery, issuePayload, resultOf, sendWebhook } from '../support/jira-world';
import type { TcpProxy } from '../support/tcp-proxy';
import { hostPort, startTcpProxy } from '../support/tcp-proxy';

jest.setTimeout(90_000);

const suite = useJiraSuite();
let proxy: TcpProxy;
let connection: Connection;
let api: ApiHandle;

beforeAll(async () => {
  proxy = await startTcpProxy(hostPort(process.env.TEMPORAL_ADDRESS!));
  connection = await Connection.connect(temporalConnectionOptions(proxy.address));
  api = await startApi(
    { ...suite.stack.config, port: 0, host: '127.0.0.1', jiraIntake: 'queued' },
    { db: suite.stack.db, cache: suite.stack.cache, connection, logger: createLogger('silent') }
  );
});
afterAll(async () => {
  await api?.close();
  await connection?.close();
  await proxy?.close();
});

const payload = (n: number, category: 'done' | 'new') =>
  issuePayload({
    changedFields: ['status'],
    updated: new Date(Date.now() - 60_000 + n).toISOString(),
    statusCategoryKey: category,
  });

/** Waits (bounded) until Temporal knows the run; returns when it started. */
async function startedAt(workflowId: string, ms = 20_000): Promise<Date> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return (await suite.stack.client.workflow.getHandle(workflowId).describe()).startTime;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('202 after the insert; the woken pump starts the run before the 2 s a durable start would wait, and it applies', async () => {
  const sent = await sendWebhook(api.url, payload(1, 'done'), { identifier: 'queued-1' });
  expect(sent.status).toBe(202);
  const row = await delivery(suite.stack.db, sent.body.deliveryId);
  expect(row.run).toMatchObject({ workflowType: 'jiraIssueUpdated', queued: true });
  const started = await startedAt(sent.body.workflowId);
  expect(started.getTime() - new Date(row.received_at).getTime()).toBeLessThan(PUMP_MIN_AGE_MS);
  expect((await resultOf(suite.stack.client, sent.body.workflowId)).outcome).toBe('applied');
  const done = await delivery(suite.stack.db, sent.body.deliveryId);
  expect(done.status).toBe('applied');
  expect(done.run.startedAt).toBeTruthy();
});

test('Temporal down: still 202 at once and nothing lost; the pump starts both in received order once it is back', async () => {
  await proxy.down();
  const sent = [];
  for (const [i, category] of (['done', 'new'] as const).entries()) {
    const t0 = performance.now();
    const res = await sendWebhook(api.url, payload(10 + i, category), { identifier: `queued-down-${i}` });
    expect(res.status).toBe(202);
    expect(performance.now() - t0).toBeLessThan(1_000);
    sent.push(res);
  }
  await new Promise((r) => setTimeout(r, 1_500)); // a pump tick or two meet the outage
  for (const s of sent) {
    const row = await delivery(suite.stack.db, s.body.deliveryId);
    expect(row.status).toBe('accepted');
    expect(row.run.startedAt).toBeUndefined();
  }
  await proxy.up();
  const outcomes = [];
  for (const s of sent) {
    await startedAt(s.body.workflowId);
    outcomes.push((await resultOf(suite.stack.client, s.body.workflowId)).outcome);
  }
  expect(outcomes).toEqual(['applied', 'applied']);
  // The second delivery of the issue started only after the first had finished.
  const [a, b] = await Promise.all(
    sent.map((s) => suite.stack.client.workflow.getHandle(s.body.workflowId).describe())
  );
  expect(b!.startTime.getTime()).toBeGreaterThanOrEqual(a!.closeTime!.getTime());
  expect(await suite.stack.db('groups').where('id', suite.w.groupId).first('status')).toMatchObject({ status: 0 });
});
