/**
 * Where the integration tests find their services. globalSetup checks each one and fails the run with a
 * message saying how to get it; it never skips.
 */
import net from 'node:net';
import { createDb } from '../../src/db';

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/**
 * Each run gets its own database (globalSetup creates it, globalTeardown drops it), so two `npm test` runs on
 * one machine cannot drop each other's tables. Test files read the chosen URL from TEST_DATABASE_URL.
 */
export function runDatabaseUrl(): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/issue_sync_test_${process.pid}`;
  return url.toString();
}
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const HOW_TO = {
  postgres:
    'PostgreSQL must answer on 127.0.0.1:5432 (user postgres, trust auth). Start it with ' +
    '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or install it with ' +
    '`apt-get update && apt-get install -y postgresql`, or set TEST_PG_ADMIN_URL. `.ci/run` does all of this.',
  redis:
    'Redis must answer at REDIS_URL (default redis://127.0.0.1:6379). Start it with ' +
    '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`, or install it with ' +
    '`apt-get install -y redis-server`. `.ci/run` does all of this.',
};

/** Resolves when host:port accepts a TCP connection within `timeoutMs`, else rejects. */
export function tcpReachable(host: string, port: number, timeoutMs = 2_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Drops the database `databaseUrl` names, ending its other sessions first (a worker or API that is still
 * connected). Through `adminUrl` (default {@link PG_ADMIN_URL}). Used by the test setup, `npm run chaos` and
 * `npm run bench` for the databases they create.
 */
export async function dropDatabase(databaseUrl: string, adminUrl: string = PG_ADMIN_URL): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = createDb(adminUrl, { max: 1 });
  try {
    await admin.raw(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()',
      [name]
    );
    await admin.raw(`drop database if exists "${name}"`);
  } finally {
    await admin.destroy();
  }
}
