/**
 * Liveness, readiness (database and Temporal reachable) and Prometheus metrics. /metrics is not public: with
 * METRICS_TOKEN set it needs that bearer token; without it only loopback clients (a Prometheus on the same host,
 * or a sidecar) get it, and anyone else gets 403. It serves the API's registry, the backlog gauges and prom-client's
 * global registry merged (src/metrics/scrape.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Request } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import { register } from 'prom-client';
import type { Metrics } from '../../metrics';
import { createBacklogMetrics } from '../../metrics/backlog';
import { METRICS_CONTENT_TYPE, scrape } from '../../metrics/scrape';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Whether this request may read /metrics (see the file comment). */
export function metricsAllowed(req: Pick<Request, 'get' | 'socket'>, token: string | undefined): boolean {
  if (token !== undefined) {
    const header = req.get('authorization') ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  return LOOPBACK.has(req.socket.remoteAddress ?? '');
}

export function healthRouter(deps: { db: Knex; temporal: Client; metrics: Metrics; metricsToken?: string }): Router {
  const router = Router();
  // Backlog gauges over this API's database, computed at scrape time.
  const backlog = createBacklogMetrics(deps.db);
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      deps.db.raw('select 1').then(
        () => 'ok',
        () => 'unreachable'
      ),
      deps.temporal
        .withDeadline(Date.now() + 2_000, () => deps.temporal.connection.workflowService.getSystemInfo({}))
        .then(
          () => 'ok',
          () => 'unreachable'
        ),
    ]);
    const ok = database === 'ok' && temporal === 'ok';
    res.status(ok ? 200 : 503).json({ ok, database, temporal });
  });
  router.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req, deps.metricsToken)) {
      const message = deps.metricsToken
        ? 'missing or wrong bearer token for /metrics'
        : '/metrics answers loopback clients only; set METRICS_TOKEN to read it from elsewhere';
      res.status(deps.metricsToken ? 401 : 403).json({ error: { name: 'Forbidden', message } });
      return;
    }
    // The API's metrics, the backlog gauges and the global registry (the worker's, when it runs in this process).
    res.type(METRICS_CONTENT_TYPE).send(await scrape([deps.metrics.registry, backlog, register]));
  });
  return router;
}
