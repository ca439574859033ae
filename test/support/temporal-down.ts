/**
 * Temporal outages for the durable-delivery tests: an API whose Temporal client points at a dead address (same
 * database, cache, task queue and Teams/link settings as the stack), and a pump run on demand against the
 * stack's real client once Temporal is "back".
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import type { Pump } from '../../src/api/pump';
import { startPump } from '../../src/api/pump';
import { createStarter } from '../../src/api/temporal-start';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import type { Stack } from './stack';
import { API_TOKEN } from './stack';

/** Nothing listens on the discard port: every connection attempt is refused at once. */
export const DEAD_TEMPORAL_ADDRESS = '127.0.0.1:9';

export interface DownApi {
  /** `http://127.0.0.1:PORT` of the API whose Temporal is unreachable. */
  readonly api: string;
  /**
   * Closes the HTTP server, waits `settleMs` (default 2 s: the intake's background start gives up within its
   * 1.5 s deadline) and closes the dead connection.
   */
  close(settleMs?: number): Promise<void>;
}

/** An API over HTTP like the stack's, but its Temporal client points at {@link DEAD_TEMPORAL_ADDRESS}. */
export async function startApiWithTemporalDown(stack: Stack): Promise<DownApi> {
  // No gRPC retry interceptor: its backoff timers could fire after close() and throw "Channel has been shut
  // down" from a timer (seen once in CI). Every start fails at once, which is what this API is for.
  const connection = Connection.lazy({ address: DEAD_TEMPORAL_ADDRESS, connectTimeout: 500, interceptors: [] });
  const app = createApp({
    db: stack.db,
    cache: stack.cache,
    temporal: new Client({ connection, namespace: stack.config.temporal.namespace }),
    taskQueue: stack.config.temporal.taskQueue,
    apiToken: API_TOKEN,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    linkSecret: stack.config.linkSecret,
    teams: stack.config.teams,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close(settleMs = 2_000) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise((r) => setTimeout(r, settleMs));
      await connection.close();
    },
  };
}

/**
 * The delivery pump against the stack's real Temporal client, with no minimum age and a loop interval long
 * enough that only the test's own `tick()` calls run. Stop it when done.
 */
export function startPumpNow(stack: Stack): Pump {
  const logger = createLogger('silent');
  return startPump({
    db: stack.db,
    start: createStarter({ temporal: stack.client, taskQueue: stack.config.temporal.taskQueue, logger }),
    logger,
    intervalMs: 60_000,
    minAgeMs: 0,
  });
}
