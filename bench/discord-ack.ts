/**
 * How fast Discord hears back: p50/p99 of the answer to 200 signed state-change clicks (each its own
 * interaction id), with Temporal up, then with Temporal unreachable.
 *
 *   npm run bench:discord-ack            # or: npx tsx bench/discord-ack.ts [clicks] [concurrency]
 *
 * Needs Postgres on 127.0.0.1:5432 (user postgres, trust; or TEST_PG_ADMIN_URL) and the Temporal CLI
 * (`bash scripts/temporal.sh`), like the integration tests. It creates a throwaway database
 * (issue_sync_bench_<pid>), starts a headless in-memory dev server on a free loopback port unless
 * TEMPORAL_ADDRESS is set, runs the API in this process on 127.0.0.1:0 (no worker: the runs are started, not
 * executed, so only the answer path is measured), and drops everything at the end. Loopback only, bounded:
 * default 200 clicks, 10 in flight.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { createCache } from '../src/activities/cache';
import { createApp } from '../src/api/app';
import { createDb, ensureDatabase, migrateLatest } from '../src/db';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import type { DevServer } from '../src/dev/temporal-dev-server';
import { findTemporalCli, freePort, startDevServer } from '../src/dev/temporal-dev-server';
import { SEARCH_ATTRIBUTE_FLAGS } from '../src/workflows/shared';
import { componentInteraction, createDiscordSigner } from '../test/support/discord-signing';
import {
  insertDiscordIntegration,
  insertGroup,
  insertOrg,
  insertProject,
  installIntegration,
} from '../test/support/fixtures';
import { PG_ADMIN_URL, dropDatabase } from '../test/support/services';

const CLICKS = Math.min(Number(process.argv[2] ?? 200) || 200, 2_000);
const CONCURRENCY = Math.min(Number(process.argv[3] ?? 10) || 10, 50);
const APP_ID = '1089000000000000000';
const GUILD = '808000000000000000';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function listen(temporal: Client, db: Knex): Promise<{ url: string; close(): Promise<void> }> {
  const cache = createCache({ redisUrl: undefined });
  const app = createApp({
    db,
    cache,
    temporal,
    taskQueue: 'bench-discord-ack',
    apiToken: undefined,
    logger: createLogger('silent'),
    metrics: createMetrics(),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cache.close();
    },
  };
}

/** Sends `CLICKS` signed clicks, `CONCURRENCY` at a time; returns each answer's time in ms. */
async function clicks(url: string, groupId: number, signer: ReturnType<typeof createDiscordSigner>) {
  const times: number[] = [];
  const statuses = new Map<string, number>();
  let next = 0;
  const one = async () => {
    for (let i = next++; i < CLICKS; i = next++) {
      const body = JSON.stringify(
        componentInteraction({ applicationId: APP_ID, guildId: GUILD, customId: `archive:${groupId}` })
      );
      const t0 = performance.now();
      const res = await fetch(`${url}/webhooks/discord/interactions`, {
        method: 'POST',
        headers: signer.headers(body),
        body,
      });
      const text = await res.text();
      times.push(performance.now() - t0);
      const key = `${res.status} ${text}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, one));
  return { times: times.sort((a, b) => a - b), statuses };
}

function report(label: string, r: Awaited<ReturnType<typeof clicks>>): void {
  const t = r.times;
  const fmt = (n: number) => `${n.toFixed(1)} ms`;
  console.log(
    `${label.padEnd(22)} n=${t.length}  p50=${fmt(percentile(t, 50))}  p99=${fmt(percentile(t, 99))}  ` +
      `max=${fmt(t[t.length - 1] ?? NaN)}  answers=${JSON.stringify(Object.fromEntries(r.statuses))}`
  );
}

async function main(): Promise<void> {
  const dbUrl = new URL(PG_ADMIN_URL);
  dbUrl.pathname = `/issue_sync_bench_${process.pid}`;
  const databaseUrl = dbUrl.toString();
  let devServer: DevServer | undefined;
  let db: Knex | undefined;
  try {
    await ensureDatabase(databaseUrl);
    db = createDb(databaseUrl);
    await migrateLatest(db);
    const signer = createDiscordSigner();
    const orgId = await insertOrg(db, 'bench');
    const projectId = await insertProject(db, orgId, 'web');
    const integrationId = await insertDiscordIntegration(db, {
      guildId: GUILD,
      applicationId: APP_ID,
      botToken: 'bench',
      publicKeyHex: signer.publicKeyHex,
    });
    await installIntegration(db, orgId, integrationId);
    const groupId = await insertGroup(db, projectId);

    let address = process.env.TEMPORAL_ADDRESS;
    if (!address) {
      devServer = await startDevServer({
        cliPath: findTemporalCli({ build: false }),
        port: await freePort(),
        headless: true,
        searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
      });
      address = devServer.address;
    }
    console.log(`discord-ack bench: ${CLICKS} clicks, ${CONCURRENCY} in flight, Temporal at ${address}`);

    const up = await Connection.connect({ address });
    const apiUp = await listen(new Client({ connection: up }), db);
    await clicks(apiUp.url, groupId, signer).catch(() => undefined); // warm-up (JIT, pools)
    report('Temporal up', await clicks(apiUp.url, groupId, signer));
    await apiUp.close();

    const downConnection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 500 });
    const apiDown = await listen(new Client({ connection: downConnection }), db);
    report('Temporal unreachable', await clicks(apiDown.url, groupId, signer));
    await apiDown.close();
    const [row] = await db('webhook_deliveries')
      .where('status', 'accepted')
      .whereRaw("run->>'startedAt' is null")
      .count({ n: '*' });
    console.log(`deliveries left for the pump (accepted, not started): ${String(row?.n)}`);
    // Let the background starts against 127.0.0.1:9 give up before the channel closes.
    await new Promise((r) => setTimeout(r, 2_500));
    await downConnection.close();
    await up.close();
  } finally {
    await db?.destroy();
    await devServer?.stop();
    await dropDatabase(databaseUrl).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  }
);
