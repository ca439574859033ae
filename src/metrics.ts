import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Buckets of the intake latency histogram (seconds): an intake is one insert and one start, usually < 50 ms. */
export const INTAKE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The API's Prometheus metrics for GET /metrics. One registry per API (tests create their own). The worker's
 * metrics live on prom-client's global registry (src/metrics/worker.ts) and the backlog gauges are computed at
 * scrape time (src/metrics/backlog.ts); /metrics serves all three (src/metrics/scrape.ts).
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const deliveries = new Counter({
    name: 'issue_sync_webhook_deliveries_total',
    help: 'Webhook deliveries by provider and intake result (accepted, duplicate, skipped, unavailable, redriven, pumped, paused)',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  });
  const intakeSeconds = new Histogram({
    name: 'issue_sync_intake_seconds',
    help: 'Time to answer POST /webhooks/* (verify, parse, record, start), by provider and HTTP status',
    labelNames: ['provider', 'status'] as const,
    buckets: INTAKE_BUCKETS,
    registers: [registry],
  });
  return { registry, deliveries, intakeSeconds };
}
export type Metrics = ReturnType<typeof createMetrics>;
