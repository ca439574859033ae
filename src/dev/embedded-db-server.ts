/**
 * The embedded database on its own, in the foreground: `npx tsx src/dev/embedded-db-server.ts [--data-dir DIR]
 * [--port N]` serves PGlite on 127.0.0.1 (default: .data/pg, any free port) and prints one line
 * `ready postgres://…` when it accepts connections. SIGINT/SIGTERM or the end of stdin stops it cleanly.
 *
 * Uses: look at the data of `npm start` with psql while `npm start` is stopped (PGlite is single-process: never
 * open one data directory twice), and the restart test, which needs a real process stop and start.
 */
import { startEmbeddedDb } from './embedded-db';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const memory = process.argv.includes('--memory');
  const db = await startEmbeddedDb({
    dataDir: memory ? undefined : (arg('--data-dir') ?? '.data/pg'),
    port: Number(arg('--port') ?? 0),
  });
  process.stdout.write(`ready ${db.url}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await db.stop();
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (process.argv.includes('--stop-on-stdin-end')) {
    process.stdin.resume();
    process.stdin.once('end', () => void stop());
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
