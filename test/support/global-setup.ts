/**
 * Integration globalSetup: fails fast with a how-to message when Postgres, Redis or the Temporal CLI is
 * missing; then starts ONE headless dev server for the run, recreates the test database, and bundles the
 * workflows once (workers in tests get `workflowBundle`).
 *
 * TEST_EMBEDDED_DB=1 (`npm run test:embedded-db`): instead of the local Postgres, the run's database is the
 * embedded one `npm start` uses without DATABASE_URL (PGlite in memory, served over pglite-socket on a free
 * 127.0.0.1 port), migrated here; a second, empty one is served at TEST_EMBEDDED_EMPTY_DB_URL for the
 * migrations test (PGlite has a single database, so that test cannot create its own). Both run in this process
 * (jest runs the files in band, maxWorkers 1) and are stopped by globalTeardown.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDb, ensureDatabase, migrateLatest } from '../../src/db';
import { startEmbeddedDb, type EmbeddedDb } from '../../src/dev/embedded-db';
import { findTemporalCli, freePort, startDevServer } from '../../src/dev/temporal-dev-server';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/shared';
import { WORKFLOWS_PATH } from '../../src/worker';
import { HOW_TO, PG_ADMIN_URL, REDIS_URL, dropDatabase, runDatabaseUrl, tcpReachable } from './services';

const ROOT = path.resolve(__dirname, '..', '..');

async function must(what: string, check: () => Promise<unknown>, howTo: string): Promise<void> {
  try {
    await check();
  } catch (err) {
    throw new Error(`\n\n${what} is not available (${(err as Error).message}).\n${howTo}\n`);
  }
}

async function createTestDatabase(databaseUrl: string): Promise<void> {
  await dropDatabase(databaseUrl);
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, { max: 1 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}

/** Connections each embedded database accepts in tests (several knex pools of up to 10 per test file). */
const TEST_EMBEDDED_MAX_CONNECTIONS = 64;

export const EMBEDDED_DBS_KEY = '__ISSUE_SYNC_EMBEDDED_DBS__';

async function startEmbeddedTestDatabases(): Promise<string> {
  const run = await startEmbeddedDb({ maxConnections: TEST_EMBEDDED_MAX_CONNECTIONS });
  const empty = await startEmbeddedDb({ maxConnections: TEST_EMBEDDED_MAX_CONNECTIONS });
  (globalThis as Record<string, unknown>)[EMBEDDED_DBS_KEY] = [run, empty] satisfies EmbeddedDb[];
  const db = createDb(run.url, { max: 1 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
  process.env.TEST_EMBEDDED_EMPTY_DB_URL = empty.url;
  return run.url;
}

export default async function globalSetup(): Promise<void> {
  const embedded = process.env.TEST_EMBEDDED_DB === '1';
  const pg = new URL(PG_ADMIN_URL);
  if (!embedded) {
    await must('PostgreSQL', () => tcpReachable(pg.hostname, Number(pg.port || 5432)), HOW_TO.postgres);
  }
  const redis = new URL(REDIS_URL);
  await must('Redis', () => tcpReachable(redis.hostname, Number(redis.port || 6379)), HOW_TO.redis);
  let cliPath = '';
  await must(
    'The Temporal CLI',
    () => Promise.resolve((cliPath = findTemporalCli({ build: false }))),
    'Run `bash scripts/temporal.sh` (builds it with Go in a few minutes) or set TEMPORAL_CLI.'
  );

  let databaseUrl: string;
  if (embedded) {
    databaseUrl = await startEmbeddedTestDatabases();
  } else {
    databaseUrl = runDatabaseUrl();
    await createTestDatabase(databaseUrl);
  }
  const server = await startDevServer({
    cliPath,
    port: await freePort(),
    headless: true,
    searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
  });
  (globalThis as Record<string, unknown>).__ISSUE_SYNC_DEV_SERVER__ = server;

  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const cacheDir = path.join(ROOT, '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const bundlePath = path.join(cacheDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.TEST_DATABASE_URL = databaseUrl;
  process.env.WORKFLOW_BUNDLE_PATH = bundlePath;
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
