/** The deliveries audit log: why a sync did or did not happen. No payloads, no emails. */
import type { Knex } from 'knex';
import type { Provider } from '../../domain/model';
import { NotFoundError } from '../errors';

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

export interface DeliveryFilter {
  readonly provider?: Provider;
  readonly status?: string;
  readonly limit: number;
}

export async function listDeliveries(db: Knex, f: DeliveryFilter) {
  return db('webhook_deliveries')
    .modify((b) => {
      if (f.provider) b.where('provider', f.provider);
      if (f.status) b.where('status', f.status);
    })
    .orderBy('id', 'desc')
    .limit(f.limit)
    .select(COLUMNS);
}

export async function getDelivery(db: Knex, id: number) {
  const row = await db('webhook_deliveries').where('id', id).first(COLUMNS);
  if (!row) throw new NotFoundError(`delivery ${id} not found`);
  return row;
}
