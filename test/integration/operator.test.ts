/**
 * The operator surface (issue 11): find deliveries with filters and cursor paging, redrive failed or skipped
 * ones (alone, in bulk, idempotently) without the provider sending them again, and pause / resume an integration
 * (deliveries recorded `paused`, then applied in received order; pushes to a paused Jira site wait).
 */
import { startPump } from '../../src/api/pump';
import type { Pump } from '../../src/api/pump';
import { createStarter } from '../../src/api/temporal-start';
import { createLogger } from '../../src/logger';
import { useJiraSuite } from '../support/jira-suite';
import { JANE, issuePayload, sendWebhook } from '../support/jira-world';
import { API_TOKEN } from '../support/stack';

jest.setTimeout(120_000);

const suite = useJiraSuite({ emailScope: true });
let pump: Pump | undefined;

beforeEach(() => {
  suite.jira.addUser({
    accountId: JANE.accountId,
    displayName: JANE.displayName,
    email: JANE.email,
    emailVisible: false,
  });
});
afterEach(async () => {
  await pump?.stop();
  pump = undefined;
});

function startTestPump(): Pump {
  const { stack } = suite;
  pump = startPump({
    db: stack.db,
    start: createStarter({
      temporal: stack.client,
      taskQueue: stack.config.temporal.taskQueue,
      logger: createLogger('silent'),
    }),
    logger: createLogger('silent'),
    intervalMs: 100,
    minAgeMs: 0,
  });
  return pump;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${suite.stack.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

let minute = 0;
const at = () => new Date(Date.UTC(2026, 11, 7, 8, ++minute)).toISOString();

/** A hidden-email assignment (Jira's user/email API decides) and its finished delivery row. */
async function assignJane(updated = at()) {
  const sent = await sendWebhook(
    suite.stack.api,
    issuePayload({ changedFields: ['assignee'], updated, assignee: { accountId: JANE.accountId } })
  );
  expect(sent.status).toBe(202);
  await settle(String(sent.body.workflowId));
  return delivery(Number(sent.body.deliveryId));
}

async function settle(workflowId: string) {
  try {
    await suite.stack.client.workflow.getHandle(workflowId).result();
  } catch {
    // a failed run is what some tests want; the row says how it ended
  }
}

async function delivery(id: number) {
  return suite.stack.db('webhook_deliveries').where('id', id).first();
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function assignee() {
  return suite.stack.db('group_assignees').where('group_id', suite.w.groupId).first('user_id');
}

describe('redrive', () => {
  test('a failed delivery, redriven after the cause is fixed, is applied; the same Idempotency-Key answers the same', async () => {
    const { stack, w, jira } = suite;
    const site = await stack.db('integrations').where('id', w.integrationId).first('metadata');
    await stack
      .db('integrations')
      .where('id', w.integrationId)
      .update({ metadata: { ...site.metadata, base_url: 'ftp://jira.example' } });
    const failed = await assignJane();
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.reason).toContain('base_url');
    expect(await assignee()).toBeUndefined();

    await stack.db('integrations').where('id', w.integrationId).update({ metadata: site.metadata });
    const key = { 'idempotency-key': `redrive-${failed.id}` };
    const first = await api('POST', `/api/deliveries/${failed.id}/redrive`, undefined, key);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ deliveryId: Number(failed.id), redriveCount: 1, start: 'started' });
    expect(first.body.workflowId).toBe(`${String(failed.workflow_id)}-redrive-1`);
    await settle(first.body.workflowId);
    expect(await delivery(Number(failed.id))).toMatchObject({ status: 'applied', redrive_count: 1 });
    expect(await assignee()).toMatchObject({ user_id: String(w.janeId) });
    expect(jira.calls.filter((c) => c.path.includes('/user/email')).length).toBeGreaterThan(0);

    const again = await api('POST', `/api/deliveries/${failed.id}/redrive`, undefined, key);
    expect(again).toEqual(first);
    // Without the key it is a new request, refused: the delivery is applied now.
    const refused = await api('POST', `/api/deliveries/${failed.id}/redrive`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('only failed or skipped deliveries are redriven');
  });

  test('a redrive of an old event never overwrites newer state (the ordering guard runs again)', async () => {
    const { stack, w } = suite;
    // The old event: Jane has no verified email yet, so it is skipped.
    await stack.db('user_emails').where('user_id', w.janeId).update({ is_verified: false });
    const old = await assignJane(at());
    expect(old.status).toBe('skipped');
    // A newer event unassigns.
    const sent = await sendWebhook(
      stack.api,
      issuePayload({ changedFields: ['assignee'], updated: at(), assignee: null })
    );
    await settle(String(sent.body.workflowId));
    await stack.db('user_emails').where('user_id', w.janeId).update({ is_verified: true });

    const redriven = await api('POST', `/api/deliveries/${old.id}/redrive`);
    expect(redriven.status).toBe(202);
    await settle(redriven.body.workflowId);
    const row = await delivery(Number(old.id));
    expect(row.status).toBe('skipped');
    expect(row.reason).toContain('stale');
    expect(await assignee()).toBeUndefined();
  });

  test('bulk redrive takes the matching failed/skipped deliveries in received order, once per key', async () => {
    const { stack, w } = suite;
    await stack.db('user_emails').where('user_id', w.janeId).update({ is_verified: false });
    const a = await assignJane();
    const b = await assignJane();
    expect([a.status, b.status]).toEqual(['skipped', 'skipped']);
    await stack.db('user_emails').where('user_id', w.janeId).update({ is_verified: true });

    const filter = { provider: 'jira', integrationId: w.integrationId, externalIssueKey: 'APP-123' };
    const key = { 'idempotency-key': 'bulk-1' };
    const res = await api('POST', '/api/deliveries/redrive', { filter }, key);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      count: 2,
      runIds: [`${String(a.workflow_id)}-redrive-1`, `${String(b.workflow_id)}-redrive-1`],
    });
    for (const id of res.body.runIds as string[]) await settle(id);
    expect((await delivery(Number(b.id))).status).toBe('applied');
    expect(await api('POST', '/api/deliveries/redrive', { filter }, key)).toEqual(res);
    expect((await api('POST', '/api/deliveries/redrive', { filter: { nope: 1 } })).status).toBe(400);
  });

  test('a delivery skipped at intake has nothing to run: 409 naming why; an unknown one is 404', async () => {
    const sent = await sendWebhook(suite.stack.api, issuePayload({ changedFields: [], updated: at() }));
    const res = await api('POST', `/api/deliveries/${String(sent.body.deliveryId)}/redrive`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('nothing to run');
    expect((await api('POST', '/api/deliveries/99999999/redrive')).status).toBe(404);
  });
});

describe('deliveries API', () => {
  test('filters by provider, integration, status, issue key, group and time; cursor pages; each row links to the UI', async () => {
    const { w } = suite;
    const first = await assignJane();
    await assignJane();
    await assignJane();
    const all = await api('GET', `/api/deliveries?integrationId=${w.integrationId}&externalIssueKey=APP-123&limit=2`);
    expect(all.status).toBe(200);
    expect(all.body.deliveries).toHaveLength(2);
    expect(all.body.nextCursor).toBe(Number(all.body.deliveries[1].id));
    const next = await api('GET', `/api/deliveries?integrationId=${w.integrationId}&cursor=${all.body.nextCursor}`);
    expect(next.body.deliveries.map((d: { id: number }) => Number(d.id))).toEqual([Number(first.id)]);
    expect(next.body.nextCursor).toBeNull();
    expect(next.body.deliveries[0].temporalUiUrl).toBe(
      `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(String(first.workflow_id))}`
    );
    // The first assigned Jane (group_ids names the groups a delivery changed); the repeats found her assigned.
    const byGroup = await api('GET', `/api/deliveries?groupId=${w.groupId}&provider=jira`);
    expect(byGroup.body.deliveries.map((d: { id: string }) => Number(d.id))).toEqual([Number(first.id)]);
    const skipped = await api('GET', `/api/deliveries?status=skipped&externalIssueKey=APP-123`);
    expect(skipped.body.deliveries).toHaveLength(2);
    const future = await api(
      'GET',
      `/api/deliveries?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`
    );
    expect(future.body.deliveries).toHaveLength(0);
    expect((await api('GET', '/api/deliveries?from=yesterday')).status).toBe(400);
    expect((await api('GET', '/api/deliveries?status=lost')).status).toBe(400);
  });
});

describe('pause and resume', () => {
  test('while paused, 20 deliveries are recorded `paused` and not started; resume applies all 20 in received order', async () => {
    const { stack, w } = suite;
    const paused = await api('POST', `/api/integrations/${w.integrationId}/pause`, { reason: 'Jira maintenance' });
    expect(paused.body).toMatchObject({
      integrationId: w.integrationId,
      paused: true,
      pausedReason: 'Jira maintenance',
    });
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) {
      const sent = await sendWebhook(
        stack.api,
        issuePayload({ changedFields: ['status'], updated: at(), statusCategoryKey: i % 2 === 0 ? 'done' : 'new' })
      );
      expect(sent).toMatchObject({ status: 202, body: { status: 'paused', reason: 'integration paused' } });
      ids.push(Number(sent.body.deliveryId));
    }
    const rows = await stack.db('webhook_deliveries').whereIn('id', ids);
    expect(rows.every((r: { status: string }) => r.status === 'paused')).toBe(true);
    const listed = await api('GET', `/api/deliveries?status=paused&integrationId=${w.integrationId}&limit=100`);
    expect(listed.body.deliveries).toHaveLength(20);
    await new Promise((r) => setTimeout(r, 500));
    expect((await stack.db('groups').where('id', w.groupId).first('status')).status).toBe(0);

    startTestPump();
    const resumed = await api('POST', `/api/integrations/${w.integrationId}/resume`);
    expect(resumed.body).toMatchObject({ paused: false, resumed: 20 });
    await waitFor('all 20 applied', async () => {
      const done = await stack
        .db('webhook_deliveries')
        .whereIn('id', ids)
        .whereIn('status', ['applied', 'skipped', 'failed']);
      return done.length === 20 ? true : undefined;
    });
    const finished: Array<{ id: string; status: string; finished_at: Date }> = await stack
      .db('webhook_deliveries')
      .whereIn('id', ids)
      .orderBy('id')
      .select('id', 'status', 'finished_at');
    expect(finished.map((r) => r.status)).toEqual(Array(20).fill('applied'));
    const order = finished.map((r) => new Date(r.finished_at).getTime());
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The last event (i = 19, "new") wins.
    expect((await stack.db('groups').where('id', w.groupId).first('status')).status).toBe(0);
  });

  test('a push to a paused Jira site waits (Outcome paused) and goes out after resume', async () => {
    const { stack, w, jira } = suite;
    jira.addIssue({ key: 'APP-123', id: '10001', projectId: '10000', projectKey: 'APP' });
    await api('POST', `/api/integrations/${w.integrationId}/pause`);
    const put = await api(
      'PUT',
      `/api/groups/${w.groupId}`,
      { status: 'resolved' },
      { 'idempotency-key': 'paused-push-1' }
    );
    expect([200, 202]).toContain(put.status);
    const pushId = await waitFor('the push child to wait', async () => {
      const it = stack.client.workflow.list({ query: `Outcome = 'paused' AND ExecutionStatus = 'Running'` });
      for await (const wf of it) if (wf.type === 'syncStatusToJira') return wf.workflowId;
      return undefined;
    });
    expect(jira.calls.filter((c) => c.method === 'POST' && c.path.includes('/transitions'))).toHaveLength(0);
    await api('POST', `/api/integrations/${w.integrationId}/resume`);
    const result = (await stack.client.workflow.getHandle(pushId).result()) as { outcome: string };
    expect(result.outcome).not.toBe('failed');
    expect(jira.calls.some((c) => c.path.includes('APP-123'))).toBe(true);
  });

  test('pause and resume of an unknown integration are 404', async () => {
    expect((await api('POST', '/api/integrations/99999999/pause')).status).toBe(404);
    expect((await api('POST', '/api/integrations/99999999/resume')).status).toBe(404);
  });
});
