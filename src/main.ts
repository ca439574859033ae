/**
 * `npm start`: everything on one machine. Without TEMPORAL_ADDRESS it launches the Temporal dev server (Web UI
 * on :8233, SQLite under .data/, search attributes registered); creates and migrates the database; runs the
 * worker and the API in this process (so the in-process cache is shared); prints the URLs; and on Ctrl-C
 * stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createCache } from './activities/cache';
import { startApi } from './api/server';
import { loadConfig } from './config';
import { createDb, ensureDatabase, migrateLatest } from './db';
import { createLogger } from './logger';
import type { DevServer } from './dev/temporal-dev-server';
import { findTemporalCli, startDevServer } from './dev/temporal-dev-server';
import { createWorker, installTemporalRuntime } from './worker';
import { SEARCH_ATTRIBUTE_FLAGS } from './workflows/shared';

async function temporalAddress(
  config: ReturnType<typeof loadConfig>,
  log: (m: string) => void
): Promise<{ address: string; devServer?: DevServer }> {
  if (config.temporal.address) return { address: config.temporal.address };
  log('Starting the Temporal dev server (the first run builds the Temporal CLI with Go, which takes a few minutes)…');
  const devServer = await startDevServer({
    cliPath: findTemporalCli({ build: true }),
    port: 7233,
    uiPort: config.temporal.uiPort,
    headless: false,
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
async function linkSecret(config: ReturnType<typeof loadConfig>, log: (m: string) => void): Promise<string> {
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

async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime(config.logLevel);
  const logger = createLogger(config.logLevel);
  const log = (m: string) => process.stdout.write(`${m}\n`);
  const { address, devServer } = await temporalAddress(config, log);
  const stopDevServer = async () => devServer?.stop();
  try {
    await ensureDatabase(config.databaseUrl);
    const db = createDb(config.databaseUrl);
    await migrateLatest(db);
    const cache = createCache({ redisUrl: config.redisUrl });
    const nativeConnection = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    const runtimeConfig = {
      ...config,
      temporal: { ...config.temporal, address },
      linkSecret: await linkSecret(config, log),
      publicUrl: config.publicUrl ?? `http://127.0.0.1:${config.port}`,
    };
    const worker = await createWorker(runtimeConfig, {
      db,
      cache,
      connection: nativeConnection,
      workflowBundlePath: config.workflowBundlePath,
    });
    const api = await startApi(runtimeConfig, { db, cache, connection, logger });
    const running = worker.run();
    log(`issue-sync is running.
  API          ${api.url}  (webhooks: POST /webhooks/jira/issue-updated, /webhooks/discord/interactions; link page: /link/<token>; health: /healthz, /readyz; metrics: /metrics)
  Temporal     ${address}${devServer?.uiUrl ? `\n  Temporal UI  ${devServer.uiUrl}` : ''}
  Database     ${new URL(config.databaseUrl).pathname.slice(1)} on ${new URL(config.databaseUrl).host}
  Cache        ${cache.backend}${config.apiToken ? '' : '\n  Note: API_TOKEN is not set, so /api/* answers 503 until you set it.'}
Press Ctrl-C to stop.`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`\n${signal}: stopping…`);
      await api.close();
      // The SDK worker reacts to SIGINT/SIGTERM itself; shut it down only if it has not begun already.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await Promise.allSettled([connection.close(), nativeConnection.close(), db.destroy(), cache.close()]);
      await stopDevServer();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    await running;
  } catch (err) {
    await stopDevServer();
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
