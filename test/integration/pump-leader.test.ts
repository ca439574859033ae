/**
 * Issue 11 item 3: two API processes (the production entry, `src/api/server.ts`), each with its own delivery pump,
 * against one database and one Temporal server. Deliveries left `accepted` (Temporal was down when they came) are
 * started by whichever pump leads (a Postgres advisory lock per tick): every one exactly once across both, and
 * nothing depends on the provider retrying.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { useJiraSuite } from '../support/jira-suite';
import { kill } from '../support/worker-child';

jest.setTimeout(120_000);

const suite = useJiraSuite();
const ROOT = path.resolve(__dirname, '..', '..');

interface ApiProcess {
  readonly child: ChildProcess;
  /** Sum of `started` over this process's pump ticks. */
  started(): number;
}

function spawnApi(): Promise<ApiProcess> {
  const { stack } = suite;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'api', 'server.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: stack.config.databaseUrl,
      TEMPORAL_ADDRESS: stack.config.temporal.address,
      TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
      API_TOKEN: 'pump-test',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let started = 0;
  let buffer = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('API process did not start in 60 s')), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        let entry: { msg?: string; started?: number };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if (entry.msg === 'API listening') {
          clearTimeout(timer);
          resolve({ child, started: () => started });
        }
        if (entry.msg === 'delivery pump tick') started += entry.started ?? 0;
      }
    });
    child.once('exit', (code) => reject(new Error(`API process exited early (${code})`)));
  });
}

test('two API processes, one pump leader per tick: 30 stranded deliveries are each started once', async () => {
  const { stack, w } = suite;
  const rows = Array.from({ length: 30 }, (_, i) => ({
    provider: 'jira',
    integration_id: w.integrationId,
    delivery_key: `stranded-${i}`,
    workflow_id: `jira-${w.integrationId}-stranded-${Date.now()}-${i}`,
    status: 'accepted',
    attempts: 1,
    external_issue_key: `APP-${1000 + i}`,
    received_at: stack.db.raw("now() - interval '10 seconds'"),
    run: JSON.stringify({
      workflowType: 'groupUpdate',
      input: { requestId: `stranded-${i}`, groupId: w.groupId },
      summary: 'stranded delivery',
      labels: { provider: 'jira', groupIds: [w.groupId] },
    }),
  }));
  await stack.db('webhook_deliveries').insert(rows);
  const apis = [await spawnApi(), await spawnApi()];
  try {
    const until = Date.now() + 60_000;
    for (;;) {
      const left = await stack.db('webhook_deliveries').whereRaw("run->>'startedAt' is null").count('* as n').first();
      if (Number(left?.n) === 0) break;
      if (Date.now() > until) throw new Error(`${String(left?.n)} deliveries were never started`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Let a tick that may be running finish its log line.
    await new Promise((r) => setTimeout(r, 1_500));
    const perProcess = apis.map((a) => a.started());
    expect(perProcess.reduce((a, b) => a + b, 0)).toBe(30);
    for (const r of rows) {
      const d = await stack.client.workflow.getHandle(r.workflow_id).describe();
      expect(d.type).toBe('groupUpdate');
    }
  } finally {
    await Promise.all(apis.map((a) => kill(a.child)));
  }
});
