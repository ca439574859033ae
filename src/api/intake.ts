/**
 * The one path every webhook takes after verification and parsing: record the delivery once (unique on
 * provider + integration + delivery key), start exactly one workflow through the starter, answer at once. A duplicate
 * changes nothing and gets 200; Temporal unreachable → 503 with the delivery left `accepted`, so the
 * provider's retry redrives it. A route may give its own reply body (Discord answers `{type: 6}`).
 *
 * Durable deliveries (`durable: true`, for providers that never redeliver: Discord, Teams) work differently,
 * because the answer has a hard deadline (Discord: 3 s) that must hold whatever state Temporal is in:
 * - the start itself (workflow type, input, summary, labels; ids only, no secrets) is written into
 *   `webhook_deliveries.run` in the same insert as the row, so the delivery is durable once it is committed;
 * - the reply is returned as soon as the row is committed: it never waits on Temporal at all;
 * - the start is tried at once in the background with a short deadline (DURABLE_START_DEADLINE_MS, stored-runs.ts);
 *   when it is taken (`started` or `duplicate`) `run.startedAt` is stamped. Anything not stamped is started by
 *   the delivery pump (pump.ts) as soon as Temporal answers again, within the provider's token lifetime.
 * Answering first (rather than awaiting a start with a short deadline) keeps the answer's latency equal to one
 * Postgres insert with Temporal up, slow or down, and needs no circuit breaker to stay fast during an outage.
 */
import type { Knex } from 'knex';
import type { Workflow } from '@temporalio/common';
import type { Provider } from '../domain/model';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { RunLabels } from '../workflows/ids';
import { deliveryWorkflowId } from '../workflows/ids';
import type { StoredDelivery, StoredRun } from './stored-runs';
import { DURABLE_START_DEADLINE_MS, coalescedStamp, startStoredDelivery } from './stored-runs';
import type { StartOutcome, Starter } from './temporal-start';

export interface IntakeDeps {
  readonly db: Knex;
  readonly metrics: Metrics;
  readonly start: Starter;
  /** For background starts of durable deliveries (ids only in the lines). */
  readonly logger?: Logger;
  /** Tells this process's delivery pump that a queued delivery is waiting (JIRA_INTAKE=queued). */
  readonly wakePump?: () => void;
}

/** The reason on a delivery recorded while its integration is paused. */
export const PAUSED_REASON = 'integration paused';

/** The same stamp after a synchronous start, off the answer's path (the pump's start would only be a duplicate). */
function stampInBackground(deps: IntakeDeps, deliveryId: number): void {
  coalescedStamp(deps.db)(deliveryId).catch((err: unknown) =>
    deps.logger?.warn({ deliveryId, err: { name: (err as Error).name } }, 'could not stamp a started delivery')
  );
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
  /**
   * For providers that never redeliver: store the start in the row, answer once it is committed, start in the
   * background and leave anything not taken to the pump (see the file comment). Needs `run` and `reply`.
   */
  readonly durable?: boolean;
  /**
   * With `durable`: do not start at all; the row is marked `run.queued` and the delivery pump starts it (woken at
   * once in this process). The answer then costs one insert and nothing on Temporal, so a burst is absorbed at the
   * database's pace and started at Temporal's (JIRA_INTAKE=queued, issue 10 P1).
   */
  readonly queued?: boolean;
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

/**
 * The start as the row keeps it. Every delivery with a run keeps it (ids and hashes only, never an email or
 * secret): durable ones for the background start and the pump, all of them so a paused delivery can be started on
 * resume and a failed or skipped one redriven without the provider sending it again.
 */
function storedRun<W extends DeliveryWorkflow>(d: Delivery<W>): StoredRun | null {
  if (!d.run) return null;
  return {
    workflowType: d.run.workflow.name,
    input: d.run.input as Record<string, unknown>,
    summary: d.run.summary,
    labels: { ...d.run.labels, provider: d.provider, integrationId: d.integrationId },
    ...(d.durable && d.queued ? { queued: true } : {}),
  };
}

/** The background start of a durable delivery: never throws, never holds the answer. */
function startInBackground(deps: IntakeDeps, d: Delivery, row: StoredDelivery): void {
  startStoredDelivery(deps, row, DURABLE_START_DEADLINE_MS, coalescedStamp(deps.db)).then(
    (outcome) => {
      if (outcome === 'unavailable') deps.metrics.deliveries.inc({ provider: d.provider, result: 'unavailable' });
      if (outcome === 'refused') deps.logger?.error({ deliveryId: row.id }, 'durable delivery refused by Temporal');
    },
    (err: unknown) =>
      deps.logger?.error({ deliveryId: row.id, err: { name: (err as Error).name } }, 'durable delivery start failed')
  );
}

export async function intake<W extends DeliveryWorkflow>(deps: IntakeDeps, d: Delivery<W>): Promise<IntakeReply> {
  const workflowId = d.run ? deliveryWorkflowId(d.provider, d.deliveryKey, d.integrationId) : null;
  const skipReason = d.run ? null : (d.skipReason ?? 'nothing to run');
  const stored = storedRun(d);
  // A run of a paused integration is recorded `paused` in the same statement (no extra round trip).
  const paused = (then: string, otherwise: string | null) =>
    deps.db.raw(
      'case when exists (select 1 from integrations where id = ? and paused_at is not null) then ? else ? end',
      [d.integrationId, then, otherwise]
    );
  const runnable = !skipReason && d.integrationId !== null;
  const inserted = await deps
    .db('webhook_deliveries')
    .insert({
      provider: d.provider,
      integration_id: d.integrationId,
      delivery_key: d.deliveryKey,
      workflow_id: workflowId,
      status: skipReason ? 'skipped' : runnable ? paused('paused', 'accepted') : 'accepted',
      reason: skipReason ?? (runnable ? paused(PAUSED_REASON, null) : null),
      attempts: 1,
      payload_sha256: d.payloadSha256,
      external_issue_key: d.externalIssueKey ?? null,
      finished_at: skipReason ? deps.db.fn.now() : null,
      ...(stored ? { run: JSON.stringify(stored) } : {}),
    })
    .onConflict(['provider', 'integration_id', 'delivery_key'])
    .ignore()
    .returning(['id', 'status']);
  if (inserted.length === 0) return duplicate(deps, d);
  const deliveryId = Number(inserted[0].id);
  if (inserted[0].status === 'paused') {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'paused' });
    return d.reply ?? { status: 202, body: { deliveryId, workflowId, status: 'paused', reason: PAUSED_REASON } };
  }
  if (!workflowId) {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'skipped' });
    return d.reply ?? { status: 202, body: { deliveryId, workflowId: null, status: 'skipped', reason: skipReason } };
  }
  if (stored && d.durable) {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'accepted' });
    if (stored.queued) deps.wakePump?.();
    else startInBackground(deps, d as Delivery, { id: deliveryId, workflowId, run: stored });
    return d.reply ?? { status: 202, body: { deliveryId, workflowId } };
  }
  const started = await startRun(deps, d, workflowId, deliveryId).catch((err: unknown) => {
    deps.metrics.deliveries.inc({ provider: d.provider, result: 'unavailable' });
    throw err;
  });
  deps.metrics.deliveries.inc({ provider: d.provider, result: started === 'started' ? 'accepted' : 'duplicate' });
  stampInBackground(deps, deliveryId);
  return d.reply ?? { status: 202, body: { deliveryId, workflowId } };
}

async function duplicate<W extends DeliveryWorkflow>(deps: IntakeDeps, d: Delivery<W>): Promise<IntakeReply> {
  const [row] = await deps
    .db('webhook_deliveries')
    .where({ provider: d.provider, delivery_key: d.deliveryKey })
    .where((q) => {
      if (d.integrationId === null) q.whereNull('integration_id');
      else q.where('integration_id', d.integrationId);
    })
    .increment('attempts', 1)
    .returning(['id', 'status', 'workflow_id']);
  const deliveryId = Number(row.id);
  const workflowId = (row.workflow_id as string | null) ?? null;
  // Redrive: an earlier attempt was recorded but Temporal could not be reached. (Durable deliveries are
  // redriven by the pump only: a duplicate must not wait on Temporal either.)
  if (row.status === 'accepted' && workflowId && d.run && !d.durable) {
    const outcome = await startRun(deps, d, workflowId, deliveryId);
    stampInBackground(deps, deliveryId);
    if (outcome === 'started') {
      deps.metrics.deliveries.inc({ provider: d.provider, result: 'redriven' });
      return d.reply ?? { status: 202, body: { deliveryId, workflowId, redriven: true } };
    }
  }
  deps.metrics.deliveries.inc({ provider: d.provider, result: 'duplicate' });
  return d.reply ?? { status: 200, body: { duplicate: true, deliveryId, workflowId } };
}
