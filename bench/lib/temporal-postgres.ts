/**
 * The scale-out variant's Temporal: the real server binary (go.temporal.io/server v1.29.1, all four services in
 * one process) persisted in Postgres, the topology docker-compose.yml describes, started on free loopback ports.
 * Needs the binaries `server` and `sql` (temporal-sql-tool) built with
 *   GOBIN=~/.cache/issue-sync/temporal-server-bin CGO_ENABLED=0 go install go.temporal.io/server/cmd/server@v1.29.1
 *   GOBIN=~/.cache/issue-sync/temporal-server-bin CGO_ENABLED=0 go install go.temporal.io/server/cmd/tools/sql@v1.29.1
 * and the schema files from the Go module cache. Creates temporal_bench_<pid> and temporal_vis_bench_<pid>
 * (dropped by `stop()`), the `default` namespace and the search attributes (through the Temporal CLI).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/dev/temporal-dev-server';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/shared';

export const SERVER_BIN_DIR =
  process.env.BENCH_TEMPORAL_SERVER_DIR ?? path.join(os.homedir(), '.cache', 'issue-sync', 'temporal-server-bin');

export interface PgTemporal {
  readonly address: string;
  readonly version: string;
  readonly persistence: string;
  stop(): Promise<void>;
}

/** Why the Postgres-backed server cannot run here (missing binaries or schema), or null. */
export function pgTemporalMissing(): string | null {
  for (const b of ['server', 'sql'])
    if (!existsSync(path.join(SERVER_BIN_DIR, b))) return `${path.join(SERVER_BIN_DIR, b)} is missing`;
  if (!existsSync(schemaRoot())) return `schema ${schemaRoot()} is missing (go module cache)`;
  return null;
}

function schemaRoot(): string {
  let modcache = process.env.GOMODCACHE;
  if (!modcache) {
    try {
      modcache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
    } catch {
      modcache = path.join(os.homedir(), 'go', 'pkg', 'mod');
    }
  }
  return path.join(modcache, 'go.temporal.io', 'server@v1.29.1', 'schema', 'postgresql', 'v12');
}

/** A free loopback port below 32768 (tried at random in 21000-32000, bounded). */
async function lowPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 21_000 + Math.floor(Math.random() * 11_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768');
}

export async function startPgTemporal(dir: string, cliPath: string, log: (m: string) => void): Promise<PgTemporal> {
  const sqlTool = path.join(SERVER_BIN_DIR, 'sql');
  const dbs = { main: `temporal_bench_${process.pid}`, vis: `temporal_vis_bench_${process.pid}` };
  const sql = (db: string, ...args: string[]) =>
    execFileSync(
      sqlTool,
      ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', '5432', '-u', 'postgres', '--pw', '', '--db', db, ...args],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    );
  const drop = () => {
    for (const db of [dbs.main, dbs.vis]) {
      try {
        sql(db, 'drop-database', '--force');
      } catch {
        // already gone
      }
    }
  };
  for (const [db, schema] of [
    [dbs.main, 'temporal'],
    [dbs.vis, 'visibility'],
  ] as const) {
    sql(db, 'create-database');
    sql(db, 'setup-schema', '-v', '0.0');
    sql(db, 'update-schema', '-d', path.join(schemaRoot(), schema, 'versioned'));
  }
  const ports = {
    frontend: await freePort(),
    history: await freePort(),
    matching: await freePort(),
    worker: await freePort(),
    http: await freePort(),
    metrics: await freePort(),
    pprof: await freePort(),
  };
  // Membership ports go into a smallint column: below 32768.
  const members = {
    frontend: await lowPort(),
    history: await lowPort(),
    matching: await lowPort(),
    worker: await lowPort(),
  };
  const root = path.join(dir, 'temporal-pg');
  mkdirSync(path.join(root, 'config', 'dynamicconfig'), { recursive: true });
  const store = (db: string, maxConns: number) => `      sql:
        pluginName: "postgres12"
        databaseName: "${db}"
        connectAddr: "127.0.0.1:5432"
        connectProtocol: "tcp"
        user: "postgres"
        password: ""
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const svc = (name: keyof typeof members) => `  ${name}:
    rpc:
      grpcPort: ${ports[name]}
      membershipPort: ${members[name]}
      bindOnLocalHost: true${name === 'frontend' ? `\n      httpPort: ${ports.http}` : ''}`;
  writeFileSync(
    path.join(root, 'config', 'bench.yaml'),
    `log:
  stdout: true
  level: warn
persistence:
  defaultStore: pg-default
  visibilityStore: pg-visibility
  numHistoryShards: 4
  datastores:
    pg-default:
${store(dbs.main, 20)}
    pg-visibility:
${store(dbs.vis, 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  pprof:
    port: ${ports.pprof}
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${ports.metrics}"
services:
${svc('frontend')}
${svc('matching')}
${svc('history')}
${svc('worker')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${path.join(root, 'config', 'dynamicconfig', 'bench.yaml')}"
  pollInterval: "10s"
`
  );
  writeFileSync(
    path.join(root, 'config', 'dynamicconfig', 'bench.yaml'),
    `frontend.enableServerVersionCheck:
  - value: false
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
`
  );
  const logFd = openSync(path.join(dir, 'temporal-pg.log'), 'a');
  const proc = spawn(
    path.join(SERVER_BIN_DIR, 'server'),
    ['--root', root, '--config', 'config', '--env', 'bench', '--allow-no-auth', 'start'],
    {
      stdio: ['ignore', logFd, logFd],
      detached: false,
    }
  );
  closeSync(logFd);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const address = `127.0.0.1:${ports.frontend}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    drop();
  };
  try {
    const cli = (...args: string[]) =>
      execFileSync(cliPath, [...args, '--address', address], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const until = Date.now() + 90_000;
    for (;;) {
      if (proc.exitCode !== null)
        throw new Error(
          `the Postgres-backed Temporal server exited (${proc.exitCode}); see ${path.join(dir, 'temporal-pg.log')}`
        );
      try {
        cli('operator', 'cluster', 'health');
        break;
      } catch {
        if (Date.now() > until) throw new Error('the Postgres-backed Temporal server was not healthy within 90 s');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    for (;;) {
      try {
        cli('operator', 'namespace', 'create', '--namespace', 'default', '--retention', '24h');
        break;
      } catch (err) {
        if (String((err as { stderr?: string }).stderr ?? err).includes('already')) break;
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    for (const sa of SEARCH_ATTRIBUTE_FLAGS) {
      const [name, type] = sa.split('=');
      cli('operator', 'search-attribute', 'create', '--namespace', 'default', '--name', name!, '--type', type!);
    }
    // Wait until a start with the search attributes is accepted (namespace and attribute caches warm).
    const conn = await Connection.connect({ address });
    await conn.close();
    log(`Temporal server v1.29.1 on Postgres at ${address} (databases ${dbs.main}, ${dbs.vis})`);
    return {
      address,
      version: 'temporal-server 1.29.1 (go install go.temporal.io/server/cmd/server@v1.29.1)',
      persistence: `Postgres 127.0.0.1:5432 (${dbs.main} + ${dbs.vis} for visibility), numHistoryShards 4, all services in one process`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
