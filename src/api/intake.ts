/**
 * The one path every webhook takes after verification and parsing: record the delivery once (unique on
 * provider + delivery key), start exactly one workflow, answer at once. A duplicate changes nothing and
 * gets 200; Temporal unreachable → 503 with the delivery left `accepted`, so the provider's retry redrives it.
 */
import type { Knex } from 'knex';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Metrics } from '../metrics';
import { UnavailableError } from './errors';

export interface IntakeDeps {
  readonly db: Knex;
  readonly metrics: Metrics;
}

export interface Delivery {
  readonly provider: 'jira' | 'discord' | 'msteams';
  readonly integrationId: number | null;
  readonly deliveryKey: string;
  readonly payloadSha256: string;
  readonly externalIssueKey?: string | null;
  /** Set when no workflow is needed: the row is written as `skipped` with this reason. */
  readonly skipReason?: string;
  /** Starts the workflow with this id; rejects with WorkflowExecutionAlreadyStartedError on a duplicate. */
  readonly start?: (workflowId: string, deliveryId: number) => Promise<void>;
}

export interface IntakeReply {
  readonly status: 200 | 202;
  readonly body: Record<string, unknown>;
}

export function workflowIdFor(provider: string, deliveryKey: string): string {
  return `${provider}-${deliveryKey}`;
}

async function startOrUnavailable(
  d: Delivery,
  workflowId: string,
  deliveryId: number
): Promise<'started' | 'duplicate'> {
  try {
    await d.start?.(workflowId, deliveryId);
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
    throw new UnavailableError('Temporal is unreachable; the delivery was recorded and will run when redelivered');
  }
}

export async function intake(deps: IntakeDeps, d: Delivery): Promise<IntakeReply> {
  const workflowId = d.skipReason ? null : workflowIdFor(d.provider, d.deliveryKey);
  const inserted = await deps
    .db('webhook_deliveries')
    .insert({
      provider: d.provider,
      integration_id: d.integrationId,
      delivery_key: d.deliveryKey,
      workflow_id: workflowId,
      status: d.skipReason ? 'skipped' : 'accepted',
      reason: d.skipReason ?? null,
      attempts: 1,
      payload_sha256: d.payloadSha256,
      external_issue_key: d.externalIssueKey ?? null,
      finished_at: d.skipReason ? deps.db.fn.now() : null,
    })
    .onConflict(['provider', 'delivery_key'])
    .ignore()
    .returning('id');
  if (inserted.length === 0) return duplicate(deps, d);
  const deliveryId = Number(inserted[0].id);
  if (d.skipReason || !workflowId) {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'skipped' });
    return { status: 202, body: { deliveryId, workflowId: null, status: 'skipped', reason: d.skipReason } };
  }
  const started = await startOrUnavailable(d, workflowId, deliveryId).catch((err: unknown) => {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'unavailable' });
    throw err;
  });
  deps.metrics.deliveries.inc({ provider: d.provider, result: started === 'started' ? 'accepted' : 'duplicate' });
  return { status: 202, body: { deliveryId, workflowId } };
}

async function duplicate(deps: IntakeDeps, d: Delivery): Promise<IntakeReply> {
  const [row] = await deps
    .db('webhook_deliveries')
    .where({ provider: d.provider, delivery_key: d.deliveryKey })
    .increment('attempts', 1)
    .returning(['id', 'status', 'workflow_id']);
  const deliveryId = Number(row.id);
  const workflowId = (row.workflow_id as string | null) ?? null;
  // Redrive: an earlier attempt was recorded but Temporal could not be reached.
  if (row.status === 'accepted' && workflowId && (await startOrUnavailable(d, workflowId, deliveryId)) === 'started') {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'redriven' });
    return { status: 202, body: { deliveryId, workflowId, redriven: true } };
  }
  deps.metrics.deliveries.inc({ provider: d.provider, result: 'duplicate' });
  return { status: 200, body: { duplicate: true, deliveryId, workflowId } };
}
