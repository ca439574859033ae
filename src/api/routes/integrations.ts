/** Pause and resume per integration (bearer): `POST /api/integrations/:id/pause {reason?}` and `/resume`. */
import { Router } from 'express';
import { z } from 'zod';
import { parseId, parseWith } from '../parse/request';
import type { Knex } from 'knex';
import { pauseIntegration, resumeIntegration } from '../services/integrations';

const pauseBody = z.strictObject({ reason: z.string().min(1).max(500).optional() });

export function integrationsRouter(deps: { db: Knex }): Router {
  const router = Router();
  router.post('/api/integrations/:id/pause', async (req, res) => {
    const id = parseId(req.params.id, 'id');
    const { reason } = parseWith(pauseBody, req.body ?? {});
    res.json(await pauseIntegration(deps.db, id, reason ?? null));
  });
  router.post('/api/integrations/:id/resume', async (req, res) => {
    res.json(await resumeIntegration(deps.db, parseId(req.params.id, 'id')));
  });
  return router;
}
