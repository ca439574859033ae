/** Liveness, readiness (database and Temporal reachable) and Prometheus metrics. */
import { Router } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import type { Metrics } from '../../metrics';

export function healthRouter(deps: { db: Knex; temporal: Client; metrics: Metrics }): Router {
  const router = Router();
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
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
