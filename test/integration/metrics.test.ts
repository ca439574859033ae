/**
 * Issue 11 item 4: the metrics an operator charts, scraped over HTTP from the real stack's /metrics (API and
 * worker in one process, as `npm start` runs them): deliveries, delivery outcomes, intake latency, activity
 * latency and failures, pump and paused backlog; and every metric the Grafana dashboard queries is in the scrape.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useJiraSuite } from '../support/jira-suite';
import { JANE, issuePayload, resultOf, sendWebhook } from '../support/jira-world';
import { API_TOKEN } from '../support/stack';

jest.setTimeout(120_000);

const suite = useJiraSuite({ emailScope: true });

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples and its `# TYPE` names. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

async function scrape() {
  const res = await fetch(`${suite.stack.api}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parse(await res.text());
}

/** The value of the one sample with this name and (at least) these labels; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(`${suite.stack.api}${p}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let minute = 0;
const at = () => new Date(Date.UTC(2026, 11, 8, 8, ++minute)).toISOString();

test('a Jira webhook through the real stack shows in /metrics: delivery, outcome, intake and activity latency, a retried failure, backlog', async () => {
  const { stack, jira } = suite;
  jira.addUser({ accountId: JANE.accountId, displayName: JANE.displayName, email: JANE.email, emailVisible: false });
  // Jira's email API answers 429 once: one failed attempt of jiraResolveAssigneeEmail, then the retry applies.
  jira.failNext({ method: 'GET', pathPrefix: '/rest/api/3/user/email' }, 1, {
    status: 429,
    headers: { 'Retry-After': '1' },
  });
  const sent = await sendWebhook(
    stack.api,
    issuePayload({ changedFields: ['assignee'], updated: at(), assignee: { accountId: JANE.accountId } })
  );
  expect(sent.status).toBe(202);
  const result = await resultOf(stack.client, String(sent.body.workflowId));
  expect(result.outcome).toBe('applied');

  const { samples, types } = await scrape();
  expect(value(samples, 'issue_sync_webhook_deliveries_total', { provider: 'jira', result: 'accepted' })).toBe(1);
  expect(
    value(samples, 'issue_sync_workflow_outcomes_total', { workflow_type: 'jiraIssueUpdated', outcome: 'applied' })
  ).toBe(1);
  expect(types.get('issue_sync_intake_seconds')).toBe('histogram');
  expect(value(samples, 'issue_sync_intake_seconds_count', { provider: 'jira', status: '202' })).toBeGreaterThanOrEqual(
    1
  );
  expect(
    value(samples, 'issue_sync_intake_seconds_bucket', { provider: 'jira', status: '202', le: '+Inf' })
  ).toBeGreaterThanOrEqual(1);
  expect(types.get('issue_sync_activity_seconds')).toBe('histogram');
  expect(
    value(samples, 'issue_sync_activity_seconds_count', {
      activity_type: 'trackerFinishDelivery',
      outcome: 'completed',
    })
  ).toBe(1);
  expect(
    value(samples, 'issue_sync_activity_seconds_count', {
      activity_type: 'jiraResolveAssigneeEmail',
      outcome: 'failed',
    })
  ).toBe(1);
  expect(
    value(samples, 'issue_sync_activity_failures_total', {
      activity_type: 'jiraResolveAssigneeEmail',
      failure_type: 'RateLimited',
    })
  ).toBe(1);
  expect(types.get('issue_sync_pump_backlog')).toBe('gauge');
  expect(value(samples, 'issue_sync_pump_backlog', { provider: 'jira' })).toBe(0);
  expect(types.get('issue_sync_paused_backlog')).toBe('gauge');
  // Node's default metrics are there once (the API's registry), next to the worker's (the global registry).
  expect(types.get('process_cpu_seconds_total')).toBe('counter');

  // Every metric the Grafana dashboard queries is in this scrape (histograms by their _bucket/_count series).
  const dashboard = JSON.parse(
    readFileSync(path.resolve(__dirname, '../../docs/grafana/dashboards/issue-sync.json'), 'utf8')
  ) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const queried = new Set(
    dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\bissue_sync_[a-z_]+\b/g) ?? []))
  );
  expect(queried.size).toBeGreaterThanOrEqual(7);
  // A metric exists when the scrape declares it (`# TYPE`): a gauge with nothing paused has no sample yet.
  const declared = (name: string) =>
    types.has(name) || types.get(name.replace(/_(bucket|count|sum)$/, '')) === 'histogram';
  expect([...queried].filter((name) => !declared(name))).toEqual([]);
});

test('a paused integration: its deliveries show in the paused backlog, and after resume (no pump here) in the pump backlog', async () => {
  const { stack, w } = suite;
  expect((await api('POST', `/api/integrations/${w.integrationId}/pause`, { reason: 'maintenance' })).status).toBe(200);
  let { samples } = await scrape();
  // A paused integration appears at once, with nothing waiting yet.
  const labels = { integration_id: String(w.integrationId), provider: 'jira' };
  expect(value(samples, 'issue_sync_paused_backlog', labels)).toBe(0);

  for (let i = 0; i < 2; i++) {
    const sent = await sendWebhook(
      stack.api,
      issuePayload({ changedFields: ['status'], updated: at(), statusCategoryKey: 'done' })
    );
    expect(sent).toMatchObject({ status: 202, body: { status: 'paused' } });
  }
  ({ samples } = await scrape());
  expect(value(samples, 'issue_sync_paused_backlog', labels)).toBe(2);
  expect(value(samples, 'issue_sync_webhook_deliveries_total', { provider: 'jira', result: 'paused' })).toBe(2);
  expect(value(samples, 'issue_sync_pump_backlog', { provider: 'jira' })).toBe(0);

  // Resumed: both are `accepted` with a stored run not started; this stack runs no pump, so they wait there.
  expect((await api('POST', `/api/integrations/${w.integrationId}/resume`)).body).toMatchObject({ resumed: 2 });
  ({ samples } = await scrape());
  expect(value(samples, 'issue_sync_paused_backlog', labels)).toBeUndefined();
  expect(value(samples, 'issue_sync_pump_backlog', { provider: 'jira' })).toBe(2);
  expect(value(samples, 'issue_sync_pump_backlog', { provider: 'discord' })).toBe(0);
  expect(value(samples, 'issue_sync_backlog_query_errors_total', { gauge: 'pump_backlog' }) ?? 0).toBe(0);
});
