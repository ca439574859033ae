/**
 * The worker's metrics interceptor, the merged scrape, the intake timer and the standalone worker's /metrics
 * (loopback or METRICS_TOKEN), without a stack.
 */
import { EventEmitter } from 'node:events';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Registry, collectDefaultMetrics, register } from 'prom-client';
import { loadConfig } from '../../src/config';
import { createMetrics } from '../../src/metrics';
import { intakeTimer } from '../../src/metrics/intake-timer';
import { scrape } from '../../src/metrics/scrape';
import { serveWorkerMetrics } from '../../src/metrics/serve';
import { failureType, metricsInterceptor, workerMetrics } from '../../src/metrics/worker';

type Ctx = Parameters<ActivityInterceptorsFactory>[0];

function run(
  factory: ActivityInterceptorsFactory,
  info: { activityType: string; workflowType?: string },
  args: unknown[],
  body: () => Promise<unknown>
) {
  const interceptors = factory({ info } as unknown as Ctx);
  return interceptors.inbound!.execute!({ args, headers: {} }, () => body());
}

async function sample(reg: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = reg.getSingleMetric(name) ?? reg.getSingleMetric(name.replace(/_(bucket|count|sum)$/, ''));
  if (!metric) return undefined;
  const { values } = await metric.get();
  return values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === name &&
      Object.entries(labels).every(([k, l]) => v.labels[k] === l)
  )?.value;
}

const done = () => Promise.resolve(undefined);

describe('worker metrics interceptor', () => {
  it('times every attempt, counts failures by type and delivery outcomes by workflow type', async () => {
    const reg = new Registry();
    const m = workerMetrics(reg);
    const f = metricsInterceptor(m);
    const finish = { activityType: 'trackerFinishDelivery', workflowType: 'discordInteraction' };
    await run(f, finish, [{ deliveryId: 1, outcome: 'skipped', reason: 'x', groupIds: [] }], done);
    await run(f, finish, [{ deliveryId: 2, outcome: 'skipped', reason: 'x', groupIds: [] }], done);
    await run(f, finish, [{ deliveryId: 3, outcome: 'weird' }], done);
    const jira = { activityType: 'jiraResolveAssigneeEmail', workflowType: 'jiraIssueUpdated' };
    const limited = ApplicationFailure.create({ message: '429', type: 'RateLimited' });
    await expect(run(f, jira, [{}], () => Promise.reject(limited))).rejects.toBe(limited);
    await expect(run(f, jira, [{}], () => Promise.reject(new CancelledFailure('gone')))).rejects.toThrow('gone');
    expect(await run(f, jira, [{}], () => Promise.resolve('ok'))).toBe('ok');
    // A finish that fails counts no outcome.
    await expect(
      run(f, finish, [{ deliveryId: 4, outcome: 'applied' }], () => Promise.reject(new TypeError('db')))
    ).rejects.toThrow('db');

    const outcome = (workflow_type: string, o: string) =>
      sample(reg, 'issue_sync_workflow_outcomes_total', { workflow_type, outcome: o });
    expect(await outcome('discordInteraction', 'skipped')).toBe(2);
    expect(await outcome('discordInteraction', 'applied')).toBeUndefined();
    expect(await outcome('discordInteraction', 'weird')).toBeUndefined();
    const count = (activity_type: string, o: string) =>
      sample(reg, 'issue_sync_activity_seconds_count', { activity_type, outcome: o });
    expect(await count('jiraResolveAssigneeEmail', 'failed')).toBe(1);
    expect(await count('jiraResolveAssigneeEmail', 'cancelled')).toBe(1);
    expect(await count('jiraResolveAssigneeEmail', 'completed')).toBe(1);
    expect(await count('trackerFinishDelivery', 'completed')).toBe(3);
    expect(await count('trackerFinishDelivery', 'failed')).toBe(1);
    const failures = (activity_type: string, failure_type: string) =>
      sample(reg, 'issue_sync_activity_failures_total', { activity_type, failure_type });
    expect(await failures('jiraResolveAssigneeEmail', 'RateLimited')).toBe(1);
    expect(await failures('jiraResolveAssigneeEmail', 'Cancelled')).toBe(1);
    expect(await failures('trackerFinishDelivery', 'TypeError')).toBe(1);
  });

  it('registers once per registry: a second worker in the process reuses the same metrics', () => {
    const reg = new Registry();
    const a = workerMetrics(reg);
    expect(() => workerMetrics(reg)).not.toThrow();
    expect(workerMetrics(reg).activitySeconds).toBe(a.activitySeconds);
    expect(reg.getMetricsAsArray()).toHaveLength(3);
  });

  it('failure types are bounded labels', () => {
    expect(failureType(ApplicationFailure.create({ message: 'x', type: 'NotFound' }))).toBe('NotFound');
    expect(failureType(ApplicationFailure.create({ message: 'x' }))).toBe('ApplicationFailure');
    expect(failureType(new RangeError('x'))).toBe('RangeError');
    const odd = new Error('x');
    odd.name = 'a name with spaces and user@example.com';
    expect(failureType(odd)).toBe('Other');
    expect(failureType('a string')).toBe('Other');
  });
});

describe('scrape', () => {
  it('serves several registries as one, each name once (the first registry wins)', async () => {
    const a = new Registry();
    const b = new Registry();
    new Counter({ name: 'x_total', help: 'from a', registers: [a] }).inc(2);
    new Counter({ name: 'x_total', help: 'from b', registers: [b] }).inc(5);
    new Counter({ name: 'y_total', help: 'only b', registers: [b] }).inc();
    const text = await scrape([a, b]);
    expect(text).toContain('# HELP x_total from a\n# TYPE x_total counter\nx_total 2');
    expect(text).not.toContain('from b');
    expect(text).toContain('y_total 1');
    // The API's registry (with Node's defaults) merged with a global one that has them too: no error, once each.
    const api = createMetrics();
    const global = new Registry();
    collectDefaultMetrics({ register: global });
    const merged = await scrape([api.registry, global]);
    expect(merged.match(/^# TYPE process_cpu_seconds_total /gm)).toHaveLength(1);
  });
});

describe('intakeTimer', () => {
  function fakeRes(statusCode: number) {
    return Object.assign(new EventEmitter(), { statusCode, writableFinished: false });
  }
  it('observes POST /webhooks/<provider> by status; unknown paths are `other`; an aborted answer is `aborted`', async () => {
    const metrics = createMetrics();
    const timer = intakeTimer(metrics);
    const send = (method: string, p: string, status: number, how: 'finish' | 'close') => {
      const res = fakeRes(status);
      const next = jest.fn();
      timer({ method, path: p } as never, res as never, next);
      expect(next).toHaveBeenCalledTimes(1);
      if (how === 'finish') {
        res.writableFinished = true;
        res.emit('finish');
      }
      res.emit('close');
    };
    send('POST', '/jira/issue-updated', 202, 'finish');
    send('POST', '/jira/issue-updated', 401, 'finish');
    send('POST', '/msteams/messages', 202, 'close');
    send('POST', '/../etc/passwd', 404, 'finish');
    send('GET', '/jira/issue-updated', 404, 'finish');
    const count = (provider: string, status: string) =>
      sample(metrics.registry, 'issue_sync_intake_seconds_count', { provider, status });
    expect(await count('jira', '202')).toBe(1);
    expect(await count('jira', '401')).toBe(1);
    expect(await count('msteams', 'aborted')).toBe(1);
    expect(await count('other', '404')).toBe(1);
    const { values } = await metrics.intakeSeconds.get();
    const counts = values.filter(
      (v) => (v as { metricName?: string }).metricName === 'issue_sync_intake_seconds_count'
    );
    expect(counts).toHaveLength(4);
  });
});

describe('standalone worker /metrics (WORKER_METRICS_PORT)', () => {
  beforeAll(() => {
    workerMetrics(); // the global registry, as createWorker does
  });
  afterAll(() => register.clear());

  it('serves the global registry to loopback clients only without METRICS_TOKEN', async () => {
    const server = await serveWorkerMetrics({ host: '127.0.0.1', port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const name of [
        'issue_sync_activity_seconds',
        'issue_sync_activity_failures_total',
        'issue_sync_workflow_outcomes_total',
      ])
        expect(text).toContain(`# TYPE ${name} `);
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('with METRICS_TOKEN: 401 without the bearer token, 200 with it', async () => {
    const server = await serveWorkerMetrics({ host: '127.0.0.1', port: 0, token: 'mtok' });
    try {
      expect((await fetch(server.url)).status).toBe(401);
      expect((await fetch(server.url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(server.url, { headers: { authorization: 'Bearer mtok' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('issue_sync_workflow_outcomes_total');
    } finally {
      await server.close();
    }
  });

  it('config: WORKER_METRICS_PORT turns it on, on 127.0.0.1 unless WORKER_METRICS_HOST says otherwise', () => {
    expect(loadConfig({}).workerMetrics).toBeUndefined();
    expect(loadConfig({ WORKER_METRICS_PORT: '9464' }).workerMetrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ WORKER_METRICS_PORT: '9464', WORKER_METRICS_HOST: '0.0.0.0' }).workerMetrics).toEqual({
      host: '0.0.0.0',
      port: 9464,
    });
    expect(() => loadConfig({ WORKER_METRICS_PORT: 'x' })).toThrow(/WORKER_METRICS_PORT/);
  });
});
