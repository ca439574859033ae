/**
 * The floor worker of `npm run bench` (bench only): the same Config, connection and WORKER_* settings as
 * src/worker.ts, but it registers only bench/floor-workflows.ts and the no-op activity, on TEMPORAL_TASK_QUEUE.
 */
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { installTemporalRuntime } from '../src/worker';
import * as activities from './floor-activities';

async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime(config.logLevel);
  const connection = await NativeConnection.connect({ address: config.temporal.address! });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: path.resolve(__dirname, 'floor-workflows.ts'),
    activities,
    shutdownGraceTime: '5s',
    ...config.worker,
  });
  await worker.run(); // SIGTERM/SIGINT shut it down (the SDK runtime's default signals)
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
