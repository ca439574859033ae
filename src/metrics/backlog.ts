/**
 * Backlog gauges computed at scrape time (prom-client `collect()`), each from one bounded query (a statement
 * timeout, a row limit and a deadline on the whole collect), so a slow database slows a scrape by at most
 * {@link BACKLOG_QUERY_TIMEOUT_MS} and never piles up:
 * - issue_sync_pump_backlog{provider}: deliveries `accepted` with a stored run that Temporal has not taken yet
 *   (no `run.startedAt`): what the delivery pump still has to start (Temporal down, or just received);
 * - issue_sync_paused_backlog{integration_id,provider}: deliveries `paused`, per integration (every paused
 *   integration appears, with 0 when nothing waits), at most {@link PAUSED_SERIES_LIMIT} integrations.
 * A failed or timed-out query leaves the gauge empty for that scrape and counts issue_sync_backlog_query_errors_total.
 */
import type { Knex } from 'knex';
import { Counter, Gauge, Registry } from 'prom-client';
import { PROVIDERS } from '../domain/model';

export const BACKLOG_QUERY_TIMEOUT_MS = 2_000;
export const PAUSED_SERIES_LIMIT = 500;

/** Runs `query` in a transaction with a statement timeout, and gives up (rejects) after the same deadline. */
async function bounded<T>(db: Knex, query: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('backlog query timed out')), BACKLOG_QUERY_TIMEOUT_MS + 500);
  });
  try {
    return await Promise.race([
      db.transaction(async (trx) => {
        await trx.raw(`set local statement_timeout = ${BACKLOG_QUERY_TIMEOUT_MS}`);
        return query(trx);
      }),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A registry with the two backlog gauges over `db` (one per API; /metrics merges it with the others). */
export function createBacklogMetrics(db: Knex): Registry {
  const registry = new Registry();
  const errors = new Counter({
    name: 'issue_sync_backlog_query_errors_total',
    help: 'Scrapes whose backlog query failed or timed out (the backlog gauges were empty for that scrape)',
    labelNames: ['gauge'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'issue_sync_pump_backlog',
    help: 'Accepted deliveries with a stored run not started yet (what the delivery pump still has to start)',
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const rows: Array<{ provider: string; n: string | number }> = await bounded(db, (trx) =>
          trx('webhook_deliveries')
            .where('status', 'accepted')
            .whereNotNull('run')
            .whereNotNull('workflow_id')
            .whereRaw("run->>'startedAt' is null")
            .groupBy('provider')
            .select('provider', trx.raw('count(*) as n'))
        );
        for (const p of PROVIDERS) this.set({ provider: p }, 0);
        for (const r of rows) this.set({ provider: r.provider }, Number(r.n));
      } catch {
        errors.inc({ gauge: 'pump_backlog' });
      }
    },
  });
  new Gauge({
    name: 'issue_sync_paused_backlog',
    help: 'Deliveries recorded paused, waiting for their integration to resume, per integration',
    labelNames: ['integration_id', 'provider'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const rows: Array<{ id: string | number; provider: string; n: string | number }> = await bounded(db, (trx) =>
          trx('integrations as i')
            .leftJoin('webhook_deliveries as d', (j) => j.on('d.integration_id', 'i.id').andOnVal('d.status', 'paused'))
            .where((q) => {
              void q.whereNotNull('i.paused_at').orWhereNotNull('d.id');
            })
            .groupBy('i.id', 'i.provider')
            .orderByRaw('count(d.id) desc')
            .limit(PAUSED_SERIES_LIMIT)
            .select('i.id', 'i.provider', trx.raw('count(d.id) as n'))
        );
        for (const r of rows) this.set({ integration_id: String(r.id), provider: r.provider }, Number(r.n));
      } catch {
        errors.inc({ gauge: 'paused_backlog' });
      }
    },
  });
  return registry;
}
