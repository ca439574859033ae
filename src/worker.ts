/** Worker entry (`npm run start:worker`, or in-process from main.ts): Config → deps → Worker. */
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import type { Cache } from './activities/cache/cache';
import { createCache } from './activities/cache';
import { dataConverterFor } from './codec';
import type { Config } from './config';
import { loadConfig } from './config';
import type { Db } from './db';
import { createDb } from './db';
import { metricsInterceptor } from './metrics/worker';
import { serveWorkerMetrics } from './metrics/serve';
import { collectDefaultMetrics, register } from 'prom-client';

export const WORKFLOWS_PATH = path.resolve(__dirname, 'workflows', 'index.ts');

export interface WorkerDeps {
  readonly db: Db;
  readonly cache: Cache;
  readonly connection: NativeConnection;
  /** Prebundled workflow code (tests bundle once); default: bundle from src/workflows. */
  readonly workflowBundlePath?: string;
}

export async function createWorker(
  config: Config,
  deps: WorkerDeps,
  extra: Partial<WorkerOptions> = {}
): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({
      db: deps.db,
      cache: deps.cache,
      discordApiBaseUrl: config.discord.apiBaseUrl,
      httpTimeoutMs: config.httpTimeoutMs,
      allowHttpLoopback: config.allowHttpLoopback,
      publicUrl: config.publicUrl ?? `http://127.0.0.1:${config.port}`,
      linkSecret: config.linkSecret,
      teams: config.teams,
    }),
    ...(deps.workflowBundlePath
      ? { workflowBundle: { codePath: deps.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: '10s',
    // CODEC_KEYS set: inputs and results are encrypted before they reach Temporal (src/codec).
    dataConverter: dataConverterFor(config.codec.keys),
    // WORKER_* tuning (unset: the SDK's defaults); a test's own options still win.
    ...config.worker,
    ...extra,
    // Activity latency, failures and delivery outcomes on prom-client's global registry (src/metrics/worker.ts).
    interceptors: {
      ...extra.interceptors,
      activity: [metricsInterceptor(), ...(extra.interceptors?.activity ?? [])],
    },
  });
}

/**
 * The SDK's own log level follows LOG_LEVEL one step quieter: at `info` the SDK would print the workflow
 * bundler's module list on every start, so it logs warnings and errors unless LOG_LEVEL is debug or trace.
 */
export function installTemporalRuntime(logLevel: string): void {
  const level =
    logLevel === 'trace'
      ? 'TRACE'
      : logLevel === 'debug'
        ? 'DEBUG'
        : logLevel === 'warn' || logLevel === 'info'
          ? 'WARN'
          : 'ERROR';
  Runtime.install({ logger: new DefaultLogger(level) });
}

async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime(config.logLevel);
  if (!config.temporal.address)
    throw new Error('TEMPORAL_ADDRESS is required for a standalone worker (npm start runs everything)');
  const db = createDb(config.databaseUrl, { max: config.dbPoolMax });
  const cache = createCache({ redisUrl: config.redisUrl });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createWorker(config, { db, cache, connection, workflowBundlePath: config.workflowBundlePath });
  // WORKER_METRICS_PORT: this process's own /metrics (the worker's metrics and Node's defaults).
  let metricsServer: Awaited<ReturnType<typeof serveWorkerMetrics>> | undefined;
  if (config.workerMetrics) {
    if (!register.getSingleMetric('process_cpu_seconds_total')) collectDefaultMetrics({ register });
    metricsServer = await serveWorkerMetrics({ ...config.workerMetrics, token: config.metricsToken });
    console.log(`worker metrics on ${metricsServer.url}`);
  }
  await worker.run();
  await Promise.all([connection.close(), db.destroy(), cache.close(), metricsServer?.close()]);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
