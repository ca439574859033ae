/**
 * `npm start`: everything on one machine. Without TEMPORAL_ADDRESS it launches the Temporal dev server (Web UI
 * on :8233, SQLite under .data/, search attributes registered); without DATABASE_URL it runs the embedded
 * database (PGlite under .data/pg, served on 127.0.0.1); migrates the database; runs the worker and the API in
 * this process (so the in-process cache is shared); prints the URLs; and on Ctrl-C stops everything it started.
 * The pieces are in src/dev/run-all.ts, which `npm run demo` reuses.
 */
import { loadConfig } from './config';
import { runAll } from './dev/run-all';
import { installTemporalRuntime } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime(config.logLevel);
  const log = (m: string) => process.stdout.write(`${m}\n`);
  const stack = await runAll(config, log);
  log(`issue-sync is running.
  API          ${stack.apiUrl}  (webhooks: POST /webhooks/jira/issue-updated, /webhooks/discord/interactions; link page: /link/<token>; health: /healthz, /readyz; metrics: /metrics)
  Temporal     ${stack.temporalAddress}${stack.uiUrl ? `\n  Temporal UI  ${stack.uiUrl}` : ''}
  Database     ${stack.databaseLabel}
  Cache        ${config.redisUrl ? 'redis' : 'in-process'}${config.apiToken ? '' : '\n  Note: API_TOKEN is not set, so /api/* answers 503 until you set it.'}
Press Ctrl-C to stop.`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping…`);
    await stack.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  await stack.running;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
