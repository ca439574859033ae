/** GET /api/deliveries — the audit log: why a sync did or did not happen. No payloads, no emails. */
import { Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { PROVIDERS } from '../../domain/model';
import { parseId, parseWith } from '../parse/request';
import { getDelivery, listDeliveries } from '../services/deliveries';

const listQuery = z.object({
  provider: z.enum(PROVIDERS).optional(),
  status: z.enum(['accepted', 'running', 'applied', 'skipped', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function deliveriesRouter(deps: { db: Knex }): Router {
  const router = Router();
  router.get('/api/deliveries', async (req, res) => {
    res.json({ deliveries: await listDeliveries(deps.db, parseWith(listQuery, req.query)) });
  });
  router.get('/api/deliveries/:id', async (req, res) => {
    res.json(await getDelivery(deps.db, parseId(req.params.id, 'id')));
  });
  return router;
}
