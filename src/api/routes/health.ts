/**
 * Liveness, readiness (database and Temporal reachable) and Prometheus metrics. /metrics is not public: with
 * METRICS_TOKEN set it needs that bearer token; without it only loopback clients (a Prometheus on the same host,
 * or a sidecar) get it, and anyone else gets 403.
 */
import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Request } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import type { Metrics } from '../../metrics';

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
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
