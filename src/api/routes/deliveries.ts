/** GET /api/deliveries — the audit log: why a sync did or did not happen. No payloads, no emails. */
import { Router } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { InputError, NotFoundError } from '../errors';
import { parseId } from './groups';

const listQuery = z.object({
  provider: z.enum(['jira', 'discord', 'msteams']).optional(),
  status: z.enum(['accepted', 'running', 'applied', 'skipped', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const COLUMNS = [
  'id',
  'provider',
  'integration_id',
  'delivery_key',
  'workflow_id',
  'external_issue_key',
  'status',
  'reason',
  'attempts',
  'group_ids',
  'received_at',
  'finished_at',
];

export function deliveriesRouter(deps: { db: Knex }): Router {
  const router = Router();
  router.get('/api/deliveries', async (req, res) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) throw new InputError(`${q.error.issues[0]?.path.join('.')}: ${q.error.issues[0]?.message}`);
    const rows = await deps
      .db('webhook_deliveries')
      .modify((b) => {
        if (q.data.provider) b.where('provider', q.data.provider);
        if (q.data.status) b.where('status', q.data.status);
      })
      .orderBy('id', 'desc')
      .limit(q.data.limit)
      .select(COLUMNS);
    res.json({ deliveries: rows });
  });
  router.get('/api/deliveries/:id', async (req, res) => {
    const id = parseId(req.params.id, 'id');
    const row = await deps.db('webhook_deliveries').where('id', id).first(COLUMNS);
    if (!row) throw new NotFoundError(`delivery ${id} not found`);
    res.json(row);
  });
  return router;
}
