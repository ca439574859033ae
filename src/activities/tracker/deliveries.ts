/** The webhook_deliveries audit row: the intake inserts it, the workflow moves it to running and to its outcome. */
import type { Knex } from 'knex';
import type { Outcome } from '../../domain/model';

export async function markDeliveryRunning(db: Knex, deliveryId: number): Promise<void> {
  await db('webhook_deliveries')
    .where('id', deliveryId)
    .whereIn('status', ['accepted', 'running'])
    .update({ status: 'running', updated_at: db.fn.now() });
}

export async function finishDelivery(
  db: Knex,
  input: { deliveryId: number; outcome: Outcome; reason: string | null; groupIds: readonly number[] }
): Promise<void> {
  await db('webhook_deliveries')
    .where('id', input.deliveryId)
    .update({
      status: input.outcome,
      reason: input.reason,
      group_ids: input.groupIds.length > 0 ? [...input.groupIds] : null,
      finished_at: db.fn.now(),
      updated_at: db.fn.now(),
    });
}
