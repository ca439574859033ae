import path from 'node:path';
import knex, { type Knex } from 'knex';

export type Db = Knex;

const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** A knex pool over DATABASE_URL. */
export function createDb(databaseUrl: string, pool: { min?: number; max?: number } = {}): Db {
  return knex({ client: 'pg', connection: databaseUrl, pool: { min: pool.min ?? 0, max: pool.max ?? 10 } });
}

/** Creates the database named in the URL when it does not exist (connecting to `postgres` to do so). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`DATABASE_URL names an unsupported database "${name}"`);
  url.pathname = '/postgres';
  const admin = createDb(url.toString(), { max: 1 });
  try {
    const found = await admin.raw('select 1 from pg_database where datname = ?', [name]);
    if (found.rows.length === 0) await admin.raw(`create database "${name}"`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
  } finally {
    await admin.destroy();
  }
}

/** Runs every pending migration from migrations/. */
export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest({ directory: MIGRATIONS_DIR });
}

/** Hex SHA-256 of the lower-cased email: how emails are matched without travelling through workflow histories. */
export const EMAIL_HASH_SQL = 'issue_sync_email_sha256(email)';
