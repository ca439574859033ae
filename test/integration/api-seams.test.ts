/**
 * The seams between routes and workflows: the one workflow starter (started / duplicate / unavailable, and
 * only unreachability becomes 503) and the intake's delivery spec with its own reply body.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { UnavailableError } from '../../src/api/errors';
import { intake } from '../../src/api/intake';
import type { StartSpec, Starter } from '../../src/api/temporal-start';
import { createStarter, isTemporalUnreachable } from '../../src/api/temporal-start';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { groupUpdate } from '../../src/workflows/group-update';
import { jiraIssueUpdated } from '../../src/workflows/jira-issue-updated';
import type { Stack } from '../support/stack';
import { startStack, truncateAll } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await truncateAll(stack.db);
});

function recordingLogger() {
  const lines: Array<{ level: string; msg: string }> = [];
  const logger = createLogger('silent');
  for (const level of ['warn', 'error'] as const)
    (logger as unknown as Record<string, unknown>)[level] = (_o: unknown, msg: string) => lines.push({ level, msg });
  return { logger, lines };
}

const spec = (workflowId: string): StartSpec<typeof groupUpdate> => ({
  workflow: groupUpdate,
  workflowId,
  args: [{ requestId: workflowId, groupId: 1, actorUserId: null, status: { target: 'resolved' } }],
  summary: 'seam test',
  labels: { provider: 'api', groupIds: [1] },
});

describe('the workflow starter', () => {
  test('When a run is started twice with one id, Then the answers are started, then duplicate', async () => {
    const start = createStarter({
      temporal: stack.client,
      taskQueue: `seams-${randomUUID()}`,
      logger: createLogger('silent'),
    });
    const id = `seam-${randomUUID()}`;
    expect(await start(spec(id))).toBe('started');
    expect(await start(spec(id))).toBe('duplicate');
    await stack.client.workflow.getHandle(id).terminate('test done');
  });

  test('When Temporal cannot be reached, Then UnavailableError (503) and a warning', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 500 });
    const client = new Client({ connection });
    const { logger, lines } = recordingLogger();
    const start = createStarter({ temporal: client, taskQueue: 'seams', logger });
    const err = await start(spec(`seam-${randomUUID()}`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(lines).toEqual([{ level: 'warn', msg: 'Temporal unreachable' }]);
    await connection.close();
  });

  test('When Temporal refuses the start (an unregistered search attribute), Then the real error, logged, not a 503', async () => {
    const { logger, lines } = recordingLogger();
    const start: Starter = createStarter({ temporal: stack.client, taskQueue: 'seams', logger });
    const bad = { ...spec(`seam-${randomUUID()}`) };
    const original = stack.client.workflow.start.bind(stack.client.workflow);
    // Smuggle an attribute the dev server does not know into the start, as a coding mistake would.
    const unknownKey = defineSearchAttributeKey('NotRegistered', SearchAttributeType.KEYWORD);
    stack.client.workflow.start = (wf: unknown, opts: object) =>
      original(
        wf as never,
        {
          ...opts,
          typedSearchAttributes: [{ key: unknownKey, value: 'x' }],
        } as never
      );
    try {
      const err = await start(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(UnavailableError);
      expect(isTemporalUnreachable(err)).toBe(false);
      expect(lines.map((l) => l.level)).toEqual(['error']);
    } finally {
      stack.client.workflow.start = original;
    }
  });

  test('isTemporalUnreachable: UNAVAILABLE and DEADLINE_EXCEEDED, also as a cause; nothing else', () => {
    const grpc = (code: number) => Object.assign(new Error('grpc'), { code, details: 'x', metadata: {} });
    expect(isTemporalUnreachable(grpc(14))).toBe(true);
    expect(isTemporalUnreachable(grpc(4))).toBe(true);
    expect(isTemporalUnreachable(new Error('wrapped', { cause: grpc(14) }))).toBe(true);
    expect(isTemporalUnreachable(grpc(3))).toBe(false); // INVALID_ARGUMENT
    expect(isTemporalUnreachable(new Error('boom'))).toBe(false);
    expect(isTemporalUnreachable('text')).toBe(false);
  });
});

describe('intake', () => {
  const metrics = createMetrics();
  const fakeStarter = (answers: Array<'started' | 'duplicate' | Error>) => {
    const specs: Array<StartSpec> = [];
    const start: Starter = (s) => {
      specs.push(s);
      const next = answers.shift() ?? 'started';
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    };
    return { start, specs };
  };
  const delivery = (key: string) => ({
    provider: 'jira' as const,
    integrationId: null,
    deliveryKey: key,
    payloadSha256: 'ab'.repeat(32),
    externalIssueKey: 'APP-1',
    run: {
      workflow: jiraIssueUpdated,
      input: { deliveryKey: key, integrationId: 1, issue: { id: '1', key: 'APP-1' }, eventAt: null },
      summary: 'Jira APP-1 updated: status',
      labels: { externalIssueKey: 'APP-1' },
    },
  });

  test('When a delivery arrives, Then one row, a start named <provider>-<key> whose input carries the row id', async () => {
    const { start, specs } = fakeStarter(['started']);
    const reply = await intake({ db: stack.db, metrics, start }, delivery('k-1'));
    const row = await stack.db('webhook_deliveries').where({ delivery_key: 'k-1' }).first();
    expect(reply).toEqual({ status: 202, body: { deliveryId: Number(row.id), workflowId: 'jira-k-1' } });
    expect(specs[0]).toMatchObject({ workflowId: 'jira-k-1', labels: { provider: 'jira', externalIssueKey: 'APP-1' } });
    expect(specs[0]!.args[0]).toMatchObject({ deliveryId: Number(row.id), deliveryKey: 'k-1' });
  });

  test('When the route gives a reply body, Then new and duplicate deliveries both get it', async () => {
    // The row stays `accepted` (no worker here), so the duplicate tries the start again and hears `duplicate`.
    const { start, specs } = fakeStarter(['started', 'duplicate']);
    const reply = { status: 200, body: { type: 6 } };
    expect(await intake({ db: stack.db, metrics, start }, { ...delivery('k-2'), reply })).toEqual(reply);
    expect(await intake({ db: stack.db, metrics, start }, { ...delivery('k-2'), reply })).toEqual(reply);
    expect(specs.map((s) => s.workflowId)).toEqual(['jira-k-2', 'jira-k-2']);
    expect((await stack.db('webhook_deliveries').where({ delivery_key: 'k-2' }).first()).attempts).toBe(2);
  });

  test('When Temporal is unreachable, Then the error goes on and the row stays accepted; the redelivery starts it', async () => {
    const { start, specs } = fakeStarter([new UnavailableError('down'), 'started']);
    await expect(intake({ db: stack.db, metrics, start }, delivery('k-3'))).rejects.toBeInstanceOf(UnavailableError);
    expect((await stack.db('webhook_deliveries').where({ delivery_key: 'k-3' }).first()).status).toBe('accepted');
    const again = await intake({ db: stack.db, metrics, start }, delivery('k-3'));
    expect(again.body).toMatchObject({ workflowId: 'jira-k-3', redriven: true });
    expect(specs).toHaveLength(2);
  });

  test('When nothing needs running, Then the row is skipped with the reason and nothing starts', async () => {
    const { start, specs } = fakeStarter([]);
    const reply = await intake(
      { db: stack.db, metrics, start },
      { ...delivery('k-4'), run: undefined, skipReason: 'no changelog' }
    );
    expect(reply.body).toMatchObject({ status: 'skipped', reason: 'no changelog', workflowId: null });
    expect(specs).toHaveLength(0);
  });
});
