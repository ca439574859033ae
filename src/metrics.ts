import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics for GET /metrics. One registry per process (tests create their own). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const deliveries = new Counter({
    name: 'issue_sync_webhook_deliveries_total',
    help: 'Webhook deliveries by provider and intake result',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  });
  return { registry, deliveries };
}
export type Metrics = ReturnType<typeof createMetrics>;
