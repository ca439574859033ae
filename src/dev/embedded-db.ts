/**
 * The embedded database of `npm start` when DATABASE_URL is unset: PGlite (Postgres 17 compiled to WASM, in this
 * process) with its files under `${DATA_DIR}/pg`, served over the Postgres wire protocol by
 * `@electric-sql/pglite-socket` on 127.0.0.1, so knex/pg connect to it exactly as to a real Postgres.
 *
 * PGlite is ONE Postgres backend. The socket server multiplexes up to `maxConnections` client connections onto
 * it and queues their queries; while one connection is inside a transaction only that connection's queries run,
 * so transactions never interleave (SELECT … FOR UPDATE and pg_try_advisory_xact_lock therefore always succeed at
 * once; there is no concurrency left for them to arbitrate). A connection beyond `maxConnections` is refused
 * ("Too many connections"), so every knex pool pointed at it must stay below that number in total: see
 * {@link EMBEDDED_POOL_MAX} and {@link EMBEDDED_MAX_CONNECTIONS}.
 *
 * There is one database (`postgres`); the database name in a client's URL is ignored, so `ensureDatabase` is not
 * used here.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Connections the socket server accepts at once (the default of pglite-socket is 1). */
export const EMBEDDED_MAX_CONNECTIONS = 32;
/**
 * knex pool size per `createDb` against the embedded database. `npm start` opens one pool for the worker and
 * the API together plus a short-lived one for migrations; tests open a handful per process. More connections
 * bring no throughput (one backend runs one query at a time), so small pools keep well under the limit.
 */
export const EMBEDDED_POOL_MAX = 4;

export interface EmbeddedDbOptions {
  /** Directory of the database files (created). Omitted: in memory, gone when stopped. */
  dataDir?: string;
  /** TCP port on 127.0.0.1; 0 (default) lets the OS pick one. */
  port?: number;
  /** Default {@link EMBEDDED_MAX_CONNECTIONS}. */
  maxConnections?: number;
}

export interface EmbeddedDb {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, for createDb / DATABASE_URL. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string | undefined;
  /** Stops accepting connections, closes the open ones, flushes and closes PGlite. Idempotent. */
  stop(): Promise<void>;
}

/** Starts PGlite on `dataDir` and serves it on 127.0.0.1. Fails when the port is taken. */
export async function startEmbeddedDb(opts: EmbeddedDbOptions = {}): Promise<EmbeddedDb> {
  const dataDir = opts.dataDir === undefined ? undefined : path.resolve(opts.dataDir);
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  // PGlite.create waits for the WASM instance and runs initdb on an empty directory (a few seconds the first time).
  const pg = dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir });
  const server = new PGLiteSocketServer({
    db: pg,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    maxConnections: opts.maxConnections ?? EMBEDDED_MAX_CONNECTIONS,
  });
  try {
    await server.start();
  } catch (err) {
    await pg.close().catch(() => undefined);
    throw new Error(`embedded database: cannot listen on 127.0.0.1:${opts.port ?? 0}: ${(err as Error).message}`);
  }
  const port = listeningPort(server);
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop().catch(() => undefined);
        if (!pg.closed) await pg.close();
      })()),
  };
}

/** The port the socket server really listens on (port 0 = picked by the OS). */
function listeningPort(server: PGLiteSocketServer): number {
  const conn = server.getServerConn(); // "127.0.0.1:<port>"
  const inner = (server as unknown as { server?: { address(): unknown } }).server;
  const addr = inner?.address();
  if (typeof addr === 'object' && addr !== null && 'port' in addr) return (addr as { port: number }).port;
  const port = Number(conn.split(':').pop());
  if (!Number.isInteger(port) || port <= 0) throw new Error(`embedded database: unknown port (${conn})`);
  return port;
}
