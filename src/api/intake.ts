/**
 * The one path every webhook takes after verification and parsing: record the delivery once (unique on
 * provider + delivery key), start exactly one workflow through the starter, answer at once. A duplicate
 * changes nothing and gets 200; Temporal unreachable → 503 with the delivery left `accepted`, so the
 * provider's retry redrives it. A route may give its own reply body (Discord answers `{type: 6}`).
 */
import type { Knex } from 'knex';
import type { Workflow } from '@temporalio/common';
import type { Provider } from '../domain/model';
import type { Metrics } from '../metrics';
import type { RunLabels } from '../workflows/ids';
import { deliveryWorkflowId } from '../workflows/ids';
import type { StartOutcome, Starter } from './temporal-start';

export interface IntakeDeps {
  readonly db: Knex;
  readonly metrics: Metrics;
  readonly start: Starter;
}

/** A workflow that runs one delivery: its single input carries the delivery row's id. */
export type DeliveryWorkflow = Workflow;

/** The input a route gives for a delivery workflow: everything but `deliveryId`, which the intake adds. */
export type DeliveryInput<W extends DeliveryWorkflow> = Parameters<W>[0] extends { deliveryId: number }
  ? Omit<Parameters<W>[0], 'deliveryId'>
  : never;

/** What to run for a delivery; the intake adds `deliveryId` to `input` and names the run `<provider>-<key>`. */
export interface DeliveryRun<W extends DeliveryWorkflow> {
  readonly workflow: W;
  readonly input: DeliveryInput<W>;
  readonly summary: string;
  readonly labels?: Omit<RunLabels, 'provider'>;
}

export interface Delivery<W extends DeliveryWorkflow = DeliveryWorkflow> {
  readonly provider: Provider;
  readonly integrationId: number | null;
  readonly deliveryKey: string;
  readonly payloadSha256: string;
  readonly externalIssueKey?: string | null;
  /** Set when no workflow is needed: the row is written as `skipped` with this reason. */
  readonly skipReason?: string;
  readonly run?: DeliveryRun<W>;
  /** The answer once the delivery is taken (new or duplicate), instead of the default 202 / 200 JSON. */
  readonly reply?: IntakeReply;
}

export interface IntakeReply {
  readonly status: number;
  readonly body: unknown;
}

function startRun<W extends DeliveryWorkflow>(
  deps: IntakeDeps,
  d: Delivery<W>,
  workflowId: string,
  deliveryId: number
): Promise<StartOutcome> {
  const run = d.run as DeliveryRun<W>;
  return deps.start({
    workflow: run.workflow,
    workflowId,
    args: [{ ...run.input, deliveryId }] as Parameters<W>,
    summary: run.summary,
    labels: { ...run.labels, provider: d.provider, integrationId: d.integrationId },
  });
}

export async function intake<W extends DeliveryWorkflow>(deps: IntakeDeps, d: Delivery<W>): Promise<IntakeReply> {
  const workflowId = d.run ? deliveryWorkflowId(d.provider, d.deliveryKey) : null;
  const skipReason = d.run ? null : (d.skipReason ?? 'nothing to run');
  const inserted = await deps
    .db('webhook_deliveries')
    .insert({
      provider: d.provider,
      integration_id: d.integrationId,
      delivery_key: d.deliveryKey,
      workflow_id: workflowId,
      status: skipReason ? 'skipped' : 'accepted',
      reason: skipReason,
      attempts: 1,
      payload_sha256: d.payloadSha256,
      external_issue_key: d.externalIssueKey ?? null,
      finished_at: skipReason ? deps.db.fn.now() : null,
    })
    .onConflict(['provider', 'delivery_key'])
    .ignore()
    .returning('id');
  if (inserted.length === 0) return duplicate(deps, d);
  const deliveryId = Number(inserted[0].id);
  if (!workflowId) {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'skipped' });
    return d.reply ?? { status: 202, body: { deliveryId, workflowId: null, status: 'skipped', reason: skipReason } };
  }
  const started = await startRun(deps, d, workflowId, deliveryId).catch((err: unknown) => {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'unavailable' });
    throw err;
  });
  deps.metrics.deliveries.inc({ provider: d.provider, result: started === 'started' ? 'accepted' : 'duplicate' });
  return d.reply ?? { status: 202, body: { deliveryId, workflowId } };
}

async function duplicate<W extends DeliveryWorkflow>(deps: IntakeDeps, d: Delivery<W>): Promise<IntakeReply> {
  const [row] = await deps
    .db('webhook_deliveries')
    .where({ provider: d.provider, delivery_key: d.deliveryKey })
    .increment('attempts', 1)
    .returning(['id', 'status', 'workflow_id']);
  const deliveryId = Number(row.id);
  const workflowId = (row.workflow_id as string | null) ?? null;
  // Redrive: an earlier attempt was recorded but Temporal could not be reached.
  if (row.status === 'accepted' && workflowId && d.run) {
    if ((await startRun(deps, d, workflowId, deliveryId)) === 'started') {
      deps.metrics.deliveries.inc({ provider: d.provider, result: 'redriven' });
      return d.reply ?? { status: 202, body: { deliveryId, workflowId, redriven: true } };
    }
  }
  deps.metrics.deliveries.inc({ provider: d.provider, result: 'duplicate' });
  return d.reply ?? { status: 200, body: { duplicate: true, deliveryId, workflowId } };
}
