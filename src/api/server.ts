/**
 * API entry (`npm run start:api`, or in-process from main.ts): Config → Temporal client → createApp → listen,
 * plus the delivery pump (pump.ts), stopped by `close()`.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { Cache } from '../activities/cache/cache';
import { createCache } from '../activities/cache';
import { createCodec } from '../codec';
import type { Config } from '../config';
import { loadConfig } from '../config';
import type { Db } from '../db';
import { createDb } from '../db';
import type { Logger } from '../logger';
import { createLogger } from '../logger';
import { createMetrics } from '../metrics';
import { createApp } from './app';
import { startPump } from './pump';
import { createStarter, temporalConnectionOptions } from './temporal-start';

export interface ApiHandle {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

export async function startApi(
  config: Config,
  deps: { db: Db; cache: Cache; connection: Connection; logger: Logger }
): Promise<ApiHandle> {
  const codec = createCodec(config.codec.keys);
  const temporal = new Client({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    dataConverter: codec ? { payloadCodecs: [codec] } : undefined,
  });
  const metrics = createMetrics();
  const pumpRef: { current?: { wake(): void } } = {};
  const app = createApp({
    wakePump: () => pumpRef.current?.wake(),
    db: deps.db,
    cache: deps.cache,
    temporal,
    taskQueue: config.temporal.taskQueue,
    apiToken: config.apiToken,
    logger: deps.logger,
    metrics,
    linkSecret: config.linkSecret,
    teams: config.teams,
    metricsToken: config.metricsToken,
    temporalUi: { url: `http://127.0.0.1:${config.temporal.uiPort}`, namespace: config.temporal.namespace },
    codec: { codec, token: config.codec.token, allowedOrigins: config.codec.corsOrigins },
    jiraIntake: config.jiraIntake,
    jiraSecretCacheMs: config.jiraSecretCacheMs,
    benchBareRoute: config.benchBareRoute,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const pump = startPump({
    db: deps.db,
    start: createStarter({ temporal, taskQueue: config.temporal.taskQueue, logger: deps.logger }),
    logger: deps.logger,
    metrics,
    concurrency: config.pumpConcurrency,
  });
  pumpRef.current = pump;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await pump.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporal.address)
    throw new Error('TEMPORAL_ADDRESS is required for a standalone API (npm start runs everything)');
  const logger = createLogger(config.logLevel);
  const db = createDb(config.databaseUrl, { max: config.dbPoolMax });
  const cache = createCache({ redisUrl: config.redisUrl });
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal.address));
  const api = await startApi(config, { db, cache, connection, logger });
  logger.info({ url: api.url }, 'API listening');
  const stop = async () => {
    await api.close();
    await Promise.all([connection.close(), db.destroy(), cache.close()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
