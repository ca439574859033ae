// The embedded database of `npm start` (PGlite over pglite-socket, src/dev/embedded-db.ts) in a process of its own:
// migrated data survives a stop and a start on the same directory, and several pooled connections work at once
// (pglite-socket accepts only one unless maxConnections is set). Runs in both variants of the integration suite;
// it needs neither the local Postgres nor the run's database.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, migrateLatest, type Db } from '../../src/db';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const SERVER = path.join(ROOT, 'src', 'dev', 'embedded-db-server.ts');

interface Served {
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** Starts src/dev/embedded-db-server.ts on `dataDir` and resolves with its URL once it prints `ready …`. */
function serve(dataDir: string): Promise<Served> {
  const child = spawn(TSX, [SERVER, '--data-dir', dataDir, '--stop-on-stdin-end'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const output = () => out;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`embedded database did not start within 60 s; output:\n${out}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /^ready (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child, output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`embedded database exited early (${signal ?? code}); output:\n${out}`));
    });
  });
}

/** SIGTERM and wait for a clean exit (code 0 after `stopped`). */
async function stop(served: Served): Promise<void> {
  const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
  served.child.kill('SIGTERM');
  const code = await exited;
  expect({ code, output: served.output() }).toEqual({ code: 0, output: expect.stringContaining('stopped') });
}

let dataDir: string;
const started: Served[] = [];
const pools: Db[] = [];

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'issue-sync-embedded-'));
});

afterAll(async () => {
  await Promise.allSettled(pools.map((p) => p.destroy()));
  for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function open(): Promise<{ served: Served; db: Db }> {
  const served = await serve(dataDir);
  started.push(served);
  const db = createDb(served.url, { max: 8 });
  pools.push(db);
  return { served, db };
}

test('migrated data survives a stop and a start on the same data directory', async () => {
  const first = await open();
  await migrateLatest(first.db);
  const [org] = await first.db('organizations').insert({ slug: 'kept', name: 'Kept Org' }).returning('id');
  await first.db('user_emails').insert({
    user_id: (await first.db('users').insert({ username: 'u', name: 'U' }).returning('id'))[0].id,
    email: 'Someone@Example.com',
  });
  await first.db.destroy();
  await stop(first.served);

  const second = await open();
  expect(second.served.url).not.toBe(''); // a new process, possibly another port
  await migrateLatest(second.db); // nothing pending: the knex_migrations rows survived too
  const migrations = await second.db('knex_migrations').count({ count: '*' });
  expect(Number(migrations[0]?.count)).toBeGreaterThanOrEqual(7);
  expect(await second.db('organizations').where('id', org.id).first('slug', 'name')).toEqual({
    slug: 'kept',
    name: 'Kept Org',
  });
  // The expression index's IMMUTABLE wrapper (sha256 over convert_to) answers as on Postgres.
  const hash = (await second.db.raw("select issue_sync_email_sha256('someone@example.com') as h")).rows[0].h;
  expect(await second.db('user_emails').whereRaw('issue_sync_email_sha256(email) = ?', [hash]).count()).toEqual([
    { count: '1' },
  ]);
  await second.db.destroy();
  await stop(second.served);
});

test('several pooled connections at once: transactions queue instead of dropping connections', async () => {
  const { db, served } = await open();
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      db.transaction(async (trx) => {
        const lock = await trx.raw('select pg_try_advisory_xact_lock(?) as ok', [4242]);
        await trx.raw('select pg_sleep(0.02)');
        const row = await trx('organizations')
          .insert({ slug: `parallel-${i}`, name: 'p' })
          .onConflict('slug')
          .merge()
          .returning('id');
        return { ok: lock.rows[0].ok as boolean, id: Number(row[0].id) };
      })
    )
  );
  // One backend: each transaction runs alone, so every advisory try-lock succeeds.
  expect(results.every((r) => r.ok)).toBe(true);
  expect(new Set(results.map((r) => r.id)).size).toBe(8);
  const stats = await db.raw("select array[1, 2]::bigint[] as ids, '{\"a\": [1]}'::jsonb -> 'a' as j");
  expect(stats.rows[0]).toEqual({ ids: ['1', '2'], j: [1] });
  await db.destroy();
  await stop(served);
});
