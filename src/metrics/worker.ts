/**
 * The worker's metrics, recorded by an activity interceptor (ActivityInboundCallsInterceptor) and registered on
 * prom-client's global registry, so they are served by the API's /metrics when both run in one process (`npm
 * start`, tests) and by the worker's own endpoint (WORKER_METRICS_PORT, src/metrics/serve.ts) when it runs alone.
 *
 * - issue_sync_activity_seconds{activity_type,outcome}: every activity attempt (completed, failed, cancelled);
 * - issue_sync_activity_failures_total{activity_type,failure_type}: failed attempts by ApplicationFailure type
 *   (RateLimited, ServerError, NotFound, …) or error name; a retried attempt counts each time;
 * - issue_sync_workflow_outcomes_total{workflow_type,outcome}: counted when `trackerFinishDelivery` completes,
 *   with the outcome it records (applied, skipped, failed). Runs that finish no delivery (groupUpdate, pushes,
 *   alerts, comments) are not in it: their outcome is only in their result and the `Outcome` search attribute.
 *
 * Why an interceptor rather than the SDK's Prometheus exporter (Runtime telemetryOptions): the exporter is per
 * process Runtime (installed once, by main.ts or the tests), binds its own port that serves anyone who reaches
 * it (no loopback/METRICS_TOKEN rule), cannot be merged into the API's /metrics, and knows neither failure types
 * nor delivery outcomes.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Counter, Histogram, register } from 'prom-client';
import type { Registry } from 'prom-client';

export const ACTIVITY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The activity whose input carries a delivery's final outcome. */
export const FINISH_DELIVERY_ACTIVITY = 'trackerFinishDelivery';
const OUTCOMES = new Set(['applied', 'skipped', 'failed']);

function getOrCreate<T>(reg: Registry, name: string, create: () => T): T {
  return (reg.getSingleMetric(name) as T | undefined) ?? create();
}

/** The worker's metrics on `reg` (default: the global registry); a second call returns the same objects. */
export function workerMetrics(reg: Registry = register) {
  const activitySeconds = getOrCreate(
    reg,
    'issue_sync_activity_seconds',
    () =>
      new Histogram({
        name: 'issue_sync_activity_seconds',
        help: 'Activity attempt duration by activity type and outcome (completed, failed, cancelled)',
        labelNames: ['activity_type', 'outcome'] as const,
        buckets: ACTIVITY_BUCKETS,
        registers: [reg],
      })
  );
  const activityFailures = getOrCreate(
    reg,
    'issue_sync_activity_failures_total',
    () =>
      new Counter({
        name: 'issue_sync_activity_failures_total',
        help: 'Failed activity attempts by activity type and failure type (ApplicationFailure type or error name)',
        labelNames: ['activity_type', 'failure_type'] as const,
        registers: [reg],
      })
  );
  const workflowOutcomes = getOrCreate(
    reg,
    'issue_sync_workflow_outcomes_total',
    () =>
      new Counter({
        name: 'issue_sync_workflow_outcomes_total',
        help: 'Delivery workflow outcomes (applied, skipped, failed) by workflow type, counted when trackerFinishDelivery completes',
        labelNames: ['workflow_type', 'outcome'] as const,
        registers: [reg],
      })
  );
  return { activitySeconds, activityFailures, workflowOutcomes };
}
export type WorkerMetrics = ReturnType<typeof workerMetrics>;

/** A bounded label for a failure: the ApplicationFailure type, `Cancelled`, or the error's name. */
export function failureType(err: unknown): string {
  let name: string | undefined;
  if (err instanceof CancelledFailure) name = 'Cancelled';
  else if (err instanceof ApplicationFailure) name = err.type ?? 'ApplicationFailure';
  else if (err instanceof Error) name = err.name;
  return name && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'Other';
}

/** The interceptor factory for `Worker.create({ interceptors: { activity: [...] } })`. */
export function metricsInterceptor(metrics: WorkerMetrics = workerMetrics()): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const activityType = ctx.info.activityType;
        const stop = metrics.activitySeconds.startTimer({ activity_type: activityType });
        try {
          const result = await next(input);
          stop({ outcome: 'completed' });
          if (activityType === FINISH_DELIVERY_ACTIVITY) {
            const outcome = (input.args[0] as { outcome?: unknown } | undefined)?.outcome;
            if (typeof outcome === 'string' && OUTCOMES.has(outcome))
              metrics.workflowOutcomes.inc({ workflow_type: ctx.info.workflowType ?? 'none', outcome });
          }
          return result;
        } catch (err) {
          const type = failureType(err);
          stop({ outcome: type === 'Cancelled' ? 'cancelled' : 'failed' });
          metrics.activityFailures.inc({ activity_type: activityType, failure_type: type });
          throw err;
        }
      },
    },
  });
}
