/**
 * A worker in its own process, so a test can SIGKILL it mid-workflow. Configured entirely by the environment
 * the test passes (same variables as the service). Prints "worker ready" once polling.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createCache } from '../../src/activities/cache';
import { loadConfig } from '../../src/config';
import { createDb } from '../../src/db';
import { createWorker } from '../../src/worker';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfig();
  const db = createDb(config.databaseUrl);
  const cache = createCache({ redisUrl: config.redisUrl, keyPrefix: process.env.CACHE_PREFIX });
  const connection = await NativeConnection.connect({ address: config.temporal.address! });
  const worker = await createWorker(config, { db, cache, connection, workflowBundlePath: config.workflowBundlePath });
  const running = worker.run();
  process.stdout.write('worker ready\n');
  await running;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
