/**
 * The deliveries API (bearer): the audit log with filters and cursor paging (`GET /api/deliveries`), one delivery,
 * and redrive of failed or skipped deliveries, one (`POST /api/deliveries/:id/redrive`) or every match of a filter
 * (`POST /api/deliveries/redrive {filter}`), idempotent on `Idempotency-Key`. No payloads, no emails.
 */
import { Router } from 'express';
import { z } from 'zod';
import { PROVIDERS } from '../../domain/model';
import { idSchema, parseId, parseWith } from '../parse/request';
import type { DeliveriesDeps, DeliveryFilter } from '../services/deliveries';
import {
  DELIVERY_STATUSES,
  getDelivery,
  listDeliveries,
  redriveDelivery,
  redriveMatching,
} from '../services/deliveries';
import { InputError } from '../errors';

const KEY = /^[A-Za-z0-9._:-]{1,100}$/;

const filterFields = {
  provider: z.enum(PROVIDERS).optional(),
  integrationId: idSchema.optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  externalIssueKey: z.string().min(1).max(255).optional(),
  groupId: idSchema.optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
};

const queryNumber = z.coerce.number();
const listQuery = z.strictObject({
  ...filterFields,
  integrationId: queryNumber.pipe(idSchema).optional(),
  groupId: queryNumber.pipe(idSchema).optional(),
  cursor: queryNumber.pipe(idSchema).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const bulkBody = z.strictObject({
  filter: z.strictObject({ ...filterFields, status: z.enum(['failed', 'skipped']).optional() }),
});

/** The Idempotency-Key of an operator POST, if given (bounded like the other /api keys). */
function keyOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!KEY.test(value)) throw new InputError('Idempotency-Key: 1-100 characters of A-Z a-z 0-9 . _ : -');
  return value;
}

function checkRange(f: DeliveryFilter): void {
  if (f.from && Number.isNaN(f.from.getTime())) throw new InputError('from: not a date');
  if (f.to && Number.isNaN(f.to.getTime())) throw new InputError('to: not a date');
}

export function deliveriesRouter(deps: DeliveriesDeps): Router {
  const router = Router();
  router.get('/api/deliveries', async (req, res) => {
    const q = parseWith(listQuery, req.query);
    checkRange(q);
    res.json(await listDeliveries(deps, q));
  });
  router.post('/api/deliveries/redrive', async (req, res) => {
    const { filter } = parseWith(bulkBody, req.body ?? {});
    checkRange(filter);
    res.status(202).json(await redriveMatching(deps, filter, keyOf(req.get('idempotency-key'))));
  });
  router.get('/api/deliveries/:id', async (req, res) => {
    res.json(await getDelivery(deps, parseId(req.params.id, 'id')));
  });
  router.post('/api/deliveries/:id/redrive', async (req, res) => {
    const id = parseId(req.params.id, 'id');
    res.status(202).json(await redriveDelivery(deps, id, keyOf(req.get('idempotency-key'))));
  });
  return router;
}
