/**
 * What `npm run bench` stands up, on 127.0.0.1 only, the way `npm start` / production does it: its own Temporal
 * dev server (SQLite file under a temp dir, WAL, like `npm start`; or TEMPORAL_ADDRESS), its own database
 * `issue_sync_bench_<pid>` (dropped at the end), the API (`src/api/server.ts`) and worker (`src/worker.ts`) as
 * separate child processes with their production env, the Jira simulator in this process, and Redis on its own
 * logical database. Children are (re)started per variant with different env (JIRA_INTAKE, WORKER_*, DB_POOL_MAX).
 */
import type { JiraIntakeMode } from '../../src/config';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Knex } from 'knex';
import { createDb, ensureDatabase, migrateLatest } from '../../src/db';
import type { DevServer } from '../../src/dev/temporal-dev-server';
import { findTemporalCli, freePort, startDevServer } from '../../src/dev/temporal-dev-server';
import { WORKFLOWS_PATH } from '../../src/worker';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/shared';
import { startJiraSimulator, type JiraSimulator } from '../../test/support/jira-simulator';
import type { Child } from '../../test/chaos/processes';
import { spawnEntry, stopChild, waitHttpOk } from '../../test/chaos/processes';
import { dropDatabase } from '../../test/support/services';

export const SITE = { clientKey: 'bench-site-1', sharedSecret: 'bench-shared-secret-0123456789abcdef' };

export interface ServiceEnv {
  /** Task queue the API starts on and the worker polls. */
  readonly taskQueue: string;
  readonly jiraIntake?: JiraIntakeMode;
  /** WORKER_*, DB_POOL_MAX … passed through as they are. */
  readonly extra?: Readonly<Record<string, string>>;
  /** Another Temporal server (the Postgres-backed one) and its client; default the stack's. */
  readonly temporal?: { readonly address: string; readonly client: Client };
}

export interface BenchStack {
  readonly dir: string;
  readonly db: Knex;
  readonly databaseName: string;
  readonly temporalAddress: string;
  readonly temporalPersistence: string;
  readonly temporalVersion: string;
  readonly client: Client;
  readonly jira: JiraSimulator;
  readonly bundlePath: string;
  /** Env of an API or worker child for this variant. */
  envFor(v: ServiceEnv, port?: number): NodeJS.ProcessEnv;
  /** Starts the API child; resolves once /healthz answers. */
  startApi(v: ServiceEnv): Promise<{ url: string; child: Child }>;
  /** Starts a worker child (src/worker.ts) and waits until it polls the task queue. */
  startWorker(v: ServiceEnv, entry?: string): Promise<Child>;
  stop(child: Child): Promise<void>;
  close(): Promise<void>;
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

export async function startBenchStack(log: (m: string) => void): Promise<BenchStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `issue-sync-bench-${process.pid}-`));
  const databaseName = `issue_sync_bench_${process.pid}`;
  const pgHost = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
  const databaseUrl = `${pgHost}/${databaseName}`;
  const cleanups: Array<() => Promise<unknown>> = [];
  const children = new Set<Child>();
  const closeAll = async () => {
    for (const c of [...children]) await stopChild(c, 'SIGTERM', 5_000).catch(noop);
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ensureDatabase(databaseUrl);
    cleanups.push(() => dropDatabase(databaseUrl, `${pgHost}/postgres`));
    const db = createDb(databaseUrl, { max: 6 });
    cleanups.push(() => db.destroy());
    await migrateLatest(db);

    let temporalAddress = process.env.TEMPORAL_ADDRESS;
    let temporalPersistence = `external server at ${temporalAddress ?? ''}`;
    const cliPath = findTemporalCli({ build: false });
    if (!temporalAddress) {
      const dev: DevServer = await startDevServer({
        cliPath,
        port: await freePort(),
        headless: true,
        dbFilename: path.join(dir, 'temporal.sqlite'),
        searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
        logFile: path.join(dir, 'temporal.log'),
      });
      cleanups.push(() => dev.stop());
      temporalAddress = dev.address;
      temporalPersistence =
        'dev server (temporal server start-dev), SQLite file, journal_mode=WAL, synchronous=NORMAL (as npm start)';
    }
    let temporalVersion = 'unknown';
    try {
      temporalVersion = execFileSync(cliPath, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      // reported as unknown
    }
    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });

    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);

    const jira = await startJiraSimulator(SITE);
    cleanups.push(() => jira.close());
    log(`database ${databaseName}; Temporal ${temporalAddress}; files in ${dir}`);

    const envFor = (v: ServiceEnv, port = 0): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12',
      TEMPORAL_ADDRESS: v.temporal?.address ?? temporalAddress,
      TEMPORAL_TASK_QUEUE: v.taskQueue,
      LOG_LEVEL: 'warn',
      HTTP_TIMEOUT_MS: '5000',
      ALLOW_HTTP_LOOPBACK: 'true',
      WORKFLOW_BUNDLE_PATH: bundlePath,
      BENCH_BARE_ROUTE: '1',
      ...(v.jiraIntake ? { JIRA_INTAKE: v.jiraIntake } : {}),
      ...v.extra,
    });
    let seq = 0;
    const stack: BenchStack = {
      dir,
      db,
      databaseName,
      temporalAddress,
      temporalPersistence,
      temporalVersion,
      client,
      jira,
      bundlePath,
      envFor,
      async startApi(v) {
        const port = await freePort();
        const child = spawnEntry('src/api/server.ts', envFor(v, port), path.join(dir, `api-${++seq}.log`));
        children.add(child);
        const url = `http://127.0.0.1:${port}`;
        await waitHttpOk(`${url}/healthz`, 60_000);
        return { url, child };
      },
      async startWorker(v, entry = 'src/worker.ts') {
        const child = spawnEntry(entry, envFor(v), path.join(dir, `worker-${++seq}.log`));
        children.add(child);
        await waitForPoller(v.temporal?.client ?? client, v.taskQueue, 60_000, child);
        return child;
      },
      async stop(child) {
        children.delete(child);
        await stopChild(child, 'SIGTERM', 12_000);
      },
      close: closeAll,
    };
    return stack;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Waits until some worker polls the task queue's workflow tasks (bounded). */
async function waitForPoller(client: Client, taskQueue: string, ms: number, child: Child): Promise<void> {
  const until = Date.now() + ms;
  const before = new Set<string>();
  let first = true;
  for (;;) {
    if (child.proc.exitCode !== null)
      throw new Error(`worker exited (${child.proc.exitCode}) before polling ${taskQueue}`);
    const res = await client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue, kind: 1 },
      taskQueueType: 1,
    });
    const ids = (res.pollers ?? []).map((p) => p.identity ?? '');
    if (first) {
      // Pollers that were there before this child (another live worker) do not count.
      ids.forEach((i) => before.add(i));
      first = false;
    }
    if (ids.some((i) => i.startsWith(`${child.proc.pid}@`))) return;
    if (Date.now() > until) throw new Error(`no worker polled ${taskQueue} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
