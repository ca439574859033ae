/**
 * The operator-facing surface: GET /api/groups/:id reads `assignee_exists` through the cache and sees it
 * invalidated on every assignee change; search attributes and summaries in Temporal; /api auth; health and
 * readiness; a Temporal outage answered with 503 and redriven by the provider's retry.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import type { Stack } from '../support/stack';
import { useJiraSuite } from '../support/jira-suite';
import { API_TOKEN } from '../support/stack';
import type { World } from '../support/jira-world';
import { JANE, SHARED_SECRET, delivery, historyText, issuePayload, resultOf, sendWebhook } from '../support/jira-world';
import { assigneeExistsKey } from '../../src/activities/cache/cache';

const suite = useJiraSuite();
let stack: Stack;
let w: World;

beforeEach(() => {
  ({ stack, w } = suite);
});

const t = (m: number) => new Date(Date.UTC(2026, 10, 3, 8, m)).toISOString();
const assignJane = (m: number) =>
  issuePayload({ changedFields: ['assignee'], updated: t(m), assignee: { ...JANE, emailAddress: JANE.email } });

async function getGroup(id: number, token = API_TOKEN) {
  const res = await fetch(`${stack.api}/api/groups/${id}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

test('When a group is read, Then assignee_exists comes through the cache, and an assignment invalidates it at once', async () => {
  const before = await getGroup(w.groupId);
  expect(before.status).toBe(200);
  expect(before.body).toMatchObject({
    id: w.groupId,
    shortId: 'BACKEND-1A',
    assignee: null,
    assigneeExists: false,
    assigneeExistsFromCache: false,
  });
  expect((await getGroup(w.groupId)).body.assigneeExistsFromCache).toBe(true); // "no assignee" cached for 60 s

  const sent = await sendWebhook(stack.api, assignJane(1), { identifier: 'v-1' });
  await resultOf(stack.client, sent.body.workflowId);
  expect(await stack.cache.get(assigneeExistsKey(w.groupId))).toBeNull(); // Sentry leaves the stale "0" here

  const after = await getGroup(w.groupId);
  expect(after.body).toMatchObject({
    assignee: { type: 'user', id: w.janeId, name: 'Jane Doe' },
    assigneeExists: true,
    assigneeExistsFromCache: false,
  });
  expect(JSON.stringify(after.body)).not.toContain(JANE.email);
});

test('When /api is called without the bearer token or with a bad id, Then 401 / 400 / 404 with a named error', async () => {
  expect((await getGroup(w.groupId, 'wrong')).body.error).toEqual({
    name: 'AuthError',
    message: 'missing or wrong bearer token',
  });
  const bad = await fetch(`${stack.api}/api/groups/abc`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('id: must be a positive integer');
  expect((await getGroup(999_999)).status).toBe(404);
});

test('When a workflow ran, Then it is searchable by Provider, IntegrationId, ExternalIssueKey, GroupIds and Outcome, with summaries', async () => {
  const sent = await sendWebhook(stack.api, assignJane(2), { identifier: 'v-sa' });
  await resultOf(stack.client, sent.body.workflowId);
  const query =
    `Provider = 'jira' AND IntegrationId = '${w.integrationId}' AND ExternalIssueKey = 'APP-123' ` +
    `AND GroupIds = '${w.groupId}' AND Outcome = 'applied' AND WorkflowId = '${sent.body.workflowId}'`;
  let found = 0;
  for (let i = 0; i < 50 && found === 0; i++) {
    found = (await stack.client.workflow.count(query)).count;
    if (found === 0) await new Promise((r) => setTimeout(r, 200));
  }
  expect(found).toBe(1);
  const handle = stack.client.workflow.getHandle(sent.body.workflowId);
  const desc = await handle.describe();
  expect(await desc.staticSummary()).toBe('Jira APP-123 updated: assignee');
  const history = await historyText(stack.client, sent.body.workflowId);
  expect(history).toContain("Resolve the assignee's email for APP-123");
  expect(history).toContain('Apply the assignee to groups linked to APP-123');
  expect(history).toContain(`Invalidate caches of groups ${w.groupId}`);
  expect(history).toContain('Jane Doe'); // the decoded payloads really are searched
  expect(history).not.toContain(JANE.email);
  expect(history).not.toContain(SHARED_SECRET);
});

test('When deliveries are listed, Then each says its status and reason without payloads', async () => {
  const payload = issuePayload({ changedFields: ['status'], updated: t(3), statusCategoryKey: 'new' }) as {
    changelog: { items: Array<Record<string, unknown>> };
  };
  payload.changelog.items = [
    {
      field: 'summary',
      fieldtype: 'jira',
      fieldId: 'summary',
      from: null,
      fromString: 'Old',
      to: null,
      toString: 'New',
    },
  ];
  expect((await sendWebhook(stack.api, payload, { identifier: 'v-list' })).status).toBe(202);
  const res = await fetch(`${stack.api}/api/deliveries?provider=jira`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  const body = (await res.json()) as { deliveries: Array<Record<string, unknown>> };
  expect(body.deliveries).toHaveLength(1);
  expect(body.deliveries[0]).toMatchObject({
    delivery_key: 'v-list',
    status: 'skipped',
    reason: 'nothing to sync: changelog changes summary',
  });
});

test('When the service is up, Then /healthz, /readyz and /metrics answer', async () => {
  expect((await fetch(`${stack.api}/healthz`)).status).toBe(200);
  const ready = await fetch(`${stack.api}/readyz`);
  expect(await ready.json()).toEqual({ ok: true, database: 'ok', temporal: 'ok' });
  const metrics = await (await fetch(`${stack.api}/metrics`)).text();
  expect(metrics).toContain('issue_sync_webhook_deliveries_total');
});

test('When Temporal is unreachable, Then 503, the delivery stays accepted, and the retried delivery starts the workflow', async () => {
  // An API whose Temporal client points at a port nobody listens on.
  const deadConnection = await Connection.connect({ address: '127.0.0.1:1', connectTimeout: 200 }).catch(() => null);
  const deadClient = deadConnection
    ? new Client({ connection: deadConnection })
    : new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = createApp({
    db: stack.db,
    cache: stack.cache,
    temporal: deadClient,
    taskQueue: stack.config.temporal.taskQueue,
    apiToken: API_TOKEN,
    logger: createLogger('silent'),
    metrics: createMetrics(),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const deadApi = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const first = await sendWebhook(deadApi, assignJane(4), { identifier: 'v-outage' });
    expect(first.status).toBe(503);
    expect(first.body.error.name).toBe('UnavailableError');
    const row = await stack.db('webhook_deliveries').where({ delivery_key: 'v-outage' }).first();
    expect(row.status).toBe('accepted');
    const retried = await sendWebhook(stack.api, assignJane(4), {
      identifier: 'v-outage',
      headers: { 'x-atlassian-webhook-retry': '1' },
    });
    expect(retried.status).toBe(202);
    expect(retried.body.redriven).toBe(true);
    expect((await resultOf(stack.client, retried.body.workflowId)).outcome).toBe('applied');
    expect((await delivery(stack.db, row.id)).status).toBe('applied');
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
