/**
 * Everything a chaos run stands up, on 127.0.0.1 only, and tears down again: its own Temporal dev server (a
 * SQLite file, so a restart keeps the data), a fresh database `issue_sync_chaos_<pid>` reached by the services
 * through a proxy the run controls, Redis on its own logical database, the Jira / Discord / Teams simulators in
 * this process, and the API and worker as child processes.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
import { startDiscordSimulator, type DiscordSimulator } from '../support/discord-simulator';
import { startJiraSimulator, type JiraSimulator } from '../support/jira-simulator';
import { startTeamsSimulator, type TeamsSimulator } from '../support/teams-simulator';
import { teamsEnv } from '../support/teams-world';
import type { Child } from './processes';
import { spawnEntry, stopChild, waitHttpOk, WorkerSupervisor } from './processes';
import { dropDatabase } from '../support/services';
import type { TcpProxy } from '../support/tcp-proxy';
import { startTcpProxy } from '../support/tcp-proxy';

export const API_TOKEN = 'chaos-api-token';
export const SITE1 = { clientKey: 'chaos-site-1', sharedSecret: 'chaos-shared-secret-site-1-0123456789' };
export const SITE2 = { clientKey: 'chaos-site-2', sharedSecret: 'chaos-shared-secret-site-2-0123456789' };
export const DISCORD_BOT_TOKEN = 'chaos-discord-bot-token';

export interface ChaosStack {
  readonly dir: string;
  readonly db: Knex;
  readonly databaseName: string;
  readonly api: string;
  readonly temporalAddress: string;
  readonly client: Client;
  readonly proxy: TcpProxy;
  readonly jira: JiraSimulator;
  readonly jira2: JiraSimulator;
  readonly discord: DiscordSimulator;
  readonly teams: TeamsSimulator;
  readonly worker: WorkerSupervisor;
  readonly cliPath: string;
  /** Stops the dev server (SIGTERM, its data kept) and starts it again on the same port and file. */
  restartTemporal(): Promise<{ downMs: number }>;
  close(): Promise<void>;
}

const PG = { host: '127.0.0.1', port: 5432 };

export async function startChaosStack(log: (m: string) => void): Promise<ChaosStack> {
  const cliPath = findTemporalCli({ build: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), `issue-sync-chaos-${process.pid}-`));
  const databaseName = `issue_sync_chaos_${process.pid}`;
  const adminUrl = `postgres://postgres@${PG.host}:${PG.port}/postgres`;
  const directUrl = `postgres://postgres@${PG.host}:${PG.port}/${databaseName}`;
  const cleanups: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  };
  try {
    await ensureDatabase(directUrl);
    cleanups.push(() => dropDatabase(directUrl, adminUrl));
    const db = createDb(directUrl, { max: 8 });
    cleanups.push(() => db.destroy());
    await migrateLatest(db);
    log(`database ${databaseName} created and migrated; logs and Temporal data in ${dir}`);

    const proxy = await startTcpProxy(PG);
    cleanups.push(() => proxy.close());

    const temporalPort = await freePort();
    const devOpts = {
      cliPath: withSqlitePragmas(cliPath, dir),
      port: temporalPort,
      headless: true,
      dbFilename: path.join(dir, 'temporal.sqlite'),
      searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
      logFile: path.join(dir, 'temporal.log'),
    };
    let dev: DevServer = await startDevServer(devOpts);
    // Registered before the dev server's stop, so it runs after it: the SQLite files (tens of MB) and the bundle
    // go, the logs and any fuzz failures stay in the run's directory.
    cleanups.push(() => {
      for (const f of readdirSync(dir))
        if (f.startsWith('temporal.sqlite') || f === 'workflow-bundle.js') rmSync(path.join(dir, f), { force: true });
      return Promise.resolve();
    });
    cleanups.push(() => dev.stop());
    const temporalAddress = dev.address;
    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    log(`Temporal dev server at ${temporalAddress}`);

    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);

    const jira = await startJiraSimulator(SITE1);
    const jira2 = await startJiraSimulator(SITE2);
    const discord = await startDiscordSimulator({ botTokens: [DISCORD_BOT_TOKEN] });
    const teams = await startTeamsSimulator();
    cleanups.push(() => Promise.all([jira.close(), jira2.close(), discord.close(), teams.close()]));

    const apiPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/${databaseName}`,
      // The config has no Redis key prefix: the run uses its own logical database instead.
      REDIS_URL: process.env.CHAOS_REDIS_URL ?? 'redis://127.0.0.1:6379/13',
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: `chaos-${process.pid}`,
      API_TOKEN,
      DISCORD_API_BASE_URL: discord.baseUrl,
      ...teamsEnv(teams),
      LOG_LEVEL: 'warn',
      HTTP_TIMEOUT_MS: '3000',
      ALLOW_HTTP_LOOPBACK: 'true',
      WORKFLOW_BUNDLE_PATH: bundlePath,
    };
    const api: Child = spawnEntry('src/api/server.ts', env, path.join(dir, 'api.log'));
    cleanups.push(() => stopChild(api, 'SIGTERM'));
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitHttpOk(`${apiUrl}/healthz`, 60_000);
    const worker = new WorkerSupervisor(env, path.join(dir, 'worker.log'));
    worker.start();
    cleanups.push(() => worker.stop());
    log(`API (pid ${api.proc.pid}) at ${apiUrl}; worker started; Postgres proxy on :${proxy.port}`);

    return {
      dir,
      db,
      databaseName,
      api: apiUrl,
      temporalAddress,
      client,
      proxy,
      jira,
      jira2,
      discord,
      teams,
      worker,
      cliPath,
      async restartTemporal() {
        const t0 = Date.now();
        await dev.stop();
        dev = await startDevServer(devOpts);
        return { downMs: Date.now() - t0 };
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * The dev server spends most of the run's CPU on SQLite; CHAOS_TEMPORAL_SQLITE_PRAGMAS (default
 * `synchronous=OFF`: no fsync, which a process restart does not need; "" = the CLI's defaults) is passed as
 * `--sqlite-pragma` through a small wrapper script, since startDevServer takes no extra flags.
 */
function withSqlitePragmas(cliPath: string, dir: string): string {
  const pragmas = (process.env.CHAOS_TEMPORAL_SQLITE_PRAGMAS ?? 'synchronous=OFF').split(/[\s,]+/).filter(Boolean);
  if (pragmas.length === 0) return cliPath;
  const wrapper = path.join(dir, 'temporal');
  const flags = pragmas.map((p) => `--sqlite-pragma '${p.replace(/'/g, '')}'`).join(' ');
  writeFileSync(wrapper, `#!/bin/sh\nexec '${cliPath}' "$@" ${flags}\n`, { mode: 0o755 });
  return wrapper;
}

const noop = (): void => undefined;
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
  log: noop,
};
