/**
 * Everything `npm start` runs, as a function so `npm run demo` can run the same thing and add its story on top:
 * the Temporal dev server (unless TEMPORAL_ADDRESS is set), the database (the embedded one under DATA_DIR/pg
 * unless DATABASE_URL is set) created and migrated, the worker and the API in this process.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createCache } from '../activities/cache';
import { startApi } from '../api/server';
import type { Config } from '../config';
import { createDb, ensureDatabase, migrateLatest, type Db } from '../db';
import { createLogger } from '../logger';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/shared';
import { createWorker } from '../worker';
import { EMBEDDED_POOL_MAX, startEmbeddedDb, type EmbeddedDb } from './embedded-db';
import type { DevServer } from './temporal-dev-server';
import { findTemporalCli, startDevServer } from './temporal-dev-server';

export interface RunningStack {
  /** The configuration the worker and the API run with (Temporal address, database URL, link secret filled in). */
  readonly config: Config & { readonly linkSecret: string; readonly publicUrl: string };
  readonly apiUrl: string;
  readonly temporalAddress: string;
  /** e.g. http://127.0.0.1:8233, or undefined when TEMPORAL_ADDRESS points at a server we did not start. */
  readonly uiUrl: string | undefined;
  readonly db: Db;
  /** One line for the banner: where the data lives. */
  readonly databaseLabel: string;
  /** A Temporal client connection (for the demo's look-ups). */
  readonly connection: Connection;
  /** Settles when the worker stops. */
  readonly running: Promise<void>;
  /** Stops the API, the worker, the connections, the embedded database and the dev server. Idempotent. */
  stop(): Promise<void>;
}

async function temporalAddress(
  config: Config,
  log: (m: string) => void
): Promise<{ address: string; devServer?: DevServer }> {
  if (config.temporal.address) return { address: config.temporal.address };
  log('Starting the Temporal dev server (the first run builds the Temporal CLI with Go, which takes a few minutes)…');
  const devServer = await startDevServer({
    cliPath: findTemporalCli({ build: true }),
    port: 7233,
    uiPort: config.temporal.uiPort,
    headless: false,
    // CODEC_KEYS set: the UI decodes payloads through the API's /codec (see src/api/routes/codec.ts).
    uiCodecEndpoint: config.codec.keys ? `http://127.0.0.1:${config.port}/codec` : undefined,
    dbFilename: path.resolve(config.dataDir, 'temporal.sqlite'),
    namespace: config.temporal.namespace,
    searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
    logFile: path.resolve(config.dataDir, 'temporal.log'),
  });
  return { address: devServer.address, devServer };
}

/**
 * LINK_SECRET, or the one kept in `${DATA_DIR}/link-secret` (mode 0600), generated on the first start and
 * reused after, so account links handed out before a restart stay valid.
 */
async function linkSecret(config: Config, log: (m: string) => void): Promise<string> {
  if (config.linkSecret) return config.linkSecret;
  const file = path.resolve(config.dataDir, 'link-secret');
  const read = async (): Promise<string | undefined> => {
    try {
      const secret = (await readFile(file, 'utf8')).trim();
      if ((await stat(file)).mode & 0o077) await chmod(file, 0o600);
      if (secret.length < 32) throw new Error(`${file} holds no usable link secret: delete it or set LINK_SECRET`);
      return secret;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const existing = await read();
  if (existing) return existing;
  await mkdir(config.dataDir, { recursive: true });
  try {
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    log(`Generated LINK_SECRET in ${file}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another start wrote it first
  }
  const written = await read();
  if (!written) throw new Error(`could not keep a link secret in ${file}`);
  return written;
}

/**
 * The database: with DATABASE_URL unset, PGlite under DATA_DIR/pg served on 127.0.0.1 (small knex pool, see
 * EMBEDDED_POOL_MAX); else the Postgres named by DATABASE_URL, created when missing. Migrated either way.
 */
async function openDatabase(
  config: Config,
  log: (m: string) => void
): Promise<{ url: string; db: Db; label: string; embedded?: EmbeddedDb }> {
  if (config.embeddedDb) {
    const dataDir = path.resolve(config.dataDir, 'pg');
    log(`Starting the embedded database (PGlite) in ${dataDir}…`);
    const embedded = await startEmbeddedDb({ dataDir, port: config.embeddedDb.port });
    try {
      const db = createDb(embedded.url, { max: EMBEDDED_POOL_MAX });
      await migrateLatest(db);
      return { url: embedded.url, db, embedded, label: `embedded PGlite in ${dataDir}, served at ${embedded.url}` };
    } catch (err) {
      await embedded.stop();
      throw err;
    }
  }
  await ensureDatabase(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  await migrateLatest(db);
  const url = new URL(config.databaseUrl);
  return { url: config.databaseUrl, db, label: `${url.pathname.slice(1)} on ${url.host}` };
}

export async function runAll(config: Config, log: (m: string) => void): Promise<RunningStack> {
  const logger = createLogger(config.logLevel);
  const { address, devServer } = await temporalAddress(config, log);
  const cleanups: Array<() => Promise<unknown>> = [async () => devServer?.stop()];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const database = await openDatabase(config, log);
    cleanups.push(async () => database.embedded?.stop());
    cleanups.push(() => database.db.destroy());
    const cache = createCache({ redisUrl: config.redisUrl });
    cleanups.push(() => cache.close());
    const nativeConnection = await NativeConnection.connect({ address });
    cleanups.push(() => nativeConnection.close());
    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    const runtimeConfig = {
      ...config,
      databaseUrl: database.url,
      temporal: { ...config.temporal, address },
      linkSecret: await linkSecret(config, log),
      publicUrl: config.publicUrl ?? `http://127.0.0.1:${config.port}`,
    };
    const worker = await createWorker(runtimeConfig, {
      db: database.db,
      cache,
      connection: nativeConnection,
      workflowBundlePath: config.workflowBundlePath,
    });
    const api = await startApi(runtimeConfig, { db: database.db, cache, connection, logger });
    cleanups.push(() => api.close());
    const running = worker.run();
    cleanups.push(async () => {
      // The SDK worker reacts to SIGINT/SIGTERM itself; shut it down only if it has not begun already.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    });
    let stopping: Promise<void> | undefined;
    return {
      config: runtimeConfig,
      apiUrl: api.url,
      temporalAddress: address,
      uiUrl: devServer?.uiUrl,
      db: database.db,
      databaseLabel: database.label,
      connection,
      running,
      stop: () => (stopping ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
