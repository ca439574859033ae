/**
 * A real stack for one integration test file: the shared dev server (globalSetup), a worker on its own task
 * queue, the API over HTTP on 127.0.0.1, the test database and Redis (with a per-file key prefix).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import type { Knex } from 'knex';
import { createCache } from '../../src/activities/cache';
import type { Cache } from '../../src/activities/cache/cache';
import { createApp } from '../../src/api/app';
import { createCodec } from '../../src/codec';
import type { Config } from '../../src/config';
import { loadConfig } from '../../src/config';
import { createDb } from '../../src/db';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createWorker } from '../../src/worker';
import { REDIS_URL } from './services';

export const API_TOKEN = 'test-api-token';

export interface Stack {
  readonly api: string;
  readonly config: Config;
  readonly db: Knex;
  readonly cache: Cache;
  readonly client: Client;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this module registry: fine.
  }
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the integration tests through jest (globalSetup sets it)`);
  return v;
}

export interface StackOptions {
  readonly discordApiBaseUrl?: string;
  readonly worker?: boolean;
  /** More environment for loadConfig (e.g. TEAMS_APP_ID, LINK_SECRET, PUBLIC_URL), used by API and worker. */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  installRuntime();
  const config = loadConfig({
    DATABASE_URL: env('TEST_DATABASE_URL'),
    TEMPORAL_ADDRESS: env('TEMPORAL_ADDRESS'),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    DISCORD_API_BASE_URL: opts.discordApiBaseUrl ?? 'http://127.0.0.1:9/api/v10',
    API_TOKEN,
    REDIS_URL,
    LOG_LEVEL: 'silent',
    HTTP_TIMEOUT_MS: '3000',
    ...opts.env,
  });
  const db = createDb(config.databaseUrl);
  const cache = createCache({ redisUrl: config.redisUrl, keyPrefix: `test:${randomUUID()}:` });
  const connection = await Connection.connect({ address: config.temporal.address! });
  // With CODEC_KEYS in opts.env, the client (here) and the worker (createWorker) encrypt payloads; default off.
  const codec = createCodec(config.codec.keys);
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: codec ? { payloadCodecs: [codec] } : undefined,
  });
  const app = createApp({
    db,
    cache,
    temporal: client,
    taskQueue: config.temporal.taskQueue,
    apiToken: config.apiToken,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    linkSecret: config.linkSecret,
    teams: config.teams,
    codec: { codec, token: config.codec.token, allowedOrigins: config.codec.corsOrigins },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const stack: Stack = {
    api,
    config,
    db,
    cache,
    client,
    async startWorker() {
      nativeConnection ??= await NativeConnection.connect({ address: config.temporal.address! });
      worker = await createWorker(config, {
        db,
        cache,
        connection: nativeConnection,
        workflowBundlePath: env('WORKFLOW_BUNDLE_PATH'),
      });
      running = worker.run();
    },
    async stopWorker() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      worker = undefined;
    },
    async stop() {
      await stack.stopWorker();
      await nativeConnection?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await cache.close();
      await db.destroy();
    },
  };
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}

/**
 * Every table but knex's own, emptied. Ids keep counting (no RESTART IDENTITY): workflow ids are built from
 * row ids (comment-<noteId>-<externalIssueId>), and the dev server outlives a test, so reused ids would meet
 * the previous test's closed runs — as they never would in production.
 */
export async function truncateAll(db: Knex): Promise<void> {
  const rows = await db('pg_tables')
    .where('schemaname', 'public')
    .whereNot('tablename', 'like', 'knex%')
    .select('tablename');
  const names = rows.map((r: { tablename: string }) => `"${r.tablename}"`).join(', ');
  if (names) await db.raw(`truncate ${names} cascade`);
}
