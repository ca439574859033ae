/**
 * The deliveries audit log and what an operator does with it (issue 11): find deliveries (filters, cursor paging,
 * each with its Temporal UI page), and redrive a failed or skipped one, alone or in bulk, without the provider
 * sending it again. No payloads or emails are shown; the stored run holds ids and hashes only.
 *
 * A redrive resets the same row to `accepted` and gives it a new run, `<first run id>-redrive-<n>`, with the
 * stored input: the workflow applies its usual ordering guard (event time vs the issue's watermark), so a redrive
 * of an old event never overwrites newer state. The start is tried at once; if Temporal is down, the delivery
 * pump starts it when it is back. Each operator POST is idempotent on its `Idempotency-Key`.
 */
import type { Knex } from 'knex';
import type { Provider } from '../../domain/model';
import type { StoredRun } from '../stored-runs';
import { startStoredDelivery } from '../stored-runs';
import type { Starter } from '../temporal-start';
import { ConflictError, NotFoundError } from '../errors';

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
  'redrive_count',
  'group_ids',
  'received_at',
  'finished_at',
];

export const DELIVERY_STATUSES = ['accepted', 'running', 'applied', 'skipped', 'failed', 'paused'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** What an operator may run again: deliveries that ended without applying. */
export const REDRIVABLE: readonly DeliveryStatus[] = ['failed', 'skipped'];
/** Most deliveries one bulk redrive takes. */
export const BULK_REDRIVE_MAX = 500;

export interface DeliveryFilter {
  readonly provider?: Provider;
  readonly integrationId?: number;
  readonly status?: DeliveryStatus;
  readonly externalIssueKey?: string;
  readonly groupId?: number;
  /** received_at ≥ from */
  readonly from?: Date;
  /** received_at < to */
  readonly to?: Date;
}

export interface TemporalUi {
  /** The Temporal Web UI, e.g. http://127.0.0.1:8233 (no trailing slash). */
  readonly url: string;
  readonly namespace: string;
}

export interface DeliveriesDeps {
  readonly db: Knex;
  readonly start: Starter;
  readonly temporalUi: TemporalUi;
}

function applyFilter(b: Knex.QueryBuilder, f: DeliveryFilter): void {
  if (f.provider) b.where('provider', f.provider);
  if (f.integrationId !== undefined) b.where('integration_id', f.integrationId);
  if (f.status) b.where('status', f.status);
  if (f.externalIssueKey) b.where('external_issue_key', f.externalIssueKey);
  if (f.groupId !== undefined) b.whereRaw('? = any(group_ids)', [f.groupId]);
  if (f.from) b.where('received_at', '>=', f.from);
  if (f.to) b.where('received_at', '<', f.to);
}

export function temporalUiLink(ui: TemporalUi, workflowId: string | null): string | null {
  if (!workflowId) return null;
  return `${ui.url}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function view(ui: TemporalUi, row: Record<string, unknown>) {
  return { ...row, temporalUiUrl: temporalUiLink(ui, (row.workflow_id as string | null) ?? null) };
}

/** Newest first; `cursor` is the last id of the previous page (rows with a smaller id come next). */
export async function listDeliveries(
  deps: Pick<DeliveriesDeps, 'db' | 'temporalUi'>,
  f: DeliveryFilter & { readonly limit: number; readonly cursor?: number }
) {
  const rows: Array<Record<string, unknown>> = await deps
    .db('webhook_deliveries')
    .modify((b) => {
      applyFilter(b, f);
      if (f.cursor !== undefined) b.where('id', '<', f.cursor);
    })
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .select(COLUMNS);
  const page = rows.slice(0, f.limit);
  const nextCursor = rows.length > f.limit ? Number(page[page.length - 1]!.id) : null;
  return { deliveries: page.map((r) => view(deps.temporalUi, r)), nextCursor };
}

export async function getDelivery(deps: Pick<DeliveriesDeps, 'db' | 'temporalUi'>, id: number) {
  const row = await deps.db('webhook_deliveries').where('id', id).first(COLUMNS);
  if (!row) throw new NotFoundError(`delivery ${id} not found`);
  return view(deps.temporalUi, row as Record<string, unknown>);
}

/** The answer an earlier operator POST with this key gave, or null (and the key is now taken by this request). */
async function claimRequest(db: Knex, key: string, kind: string): Promise<{ replay: unknown } | null> {
  const claimed = await db('operator_requests')
    .insert({ idempotency_key: key, kind })
    .onConflict('idempotency_key')
    .ignore()
    .returning('idempotency_key');
  if (claimed.length > 0) return null;
  const row = await db('operator_requests').where('idempotency_key', key).first('kind', 'response');
  if (row.kind !== kind) throw new ConflictError(`Idempotency-Key ${key} was used for another request`);
  if (row.response == null) throw new ConflictError(`a request with Idempotency-Key ${key} is still running`);
  return { replay: row.response };
}

async function saveResponse(db: Knex, key: string, response: unknown): Promise<void> {
  await db('operator_requests')
    .where('idempotency_key', key)
    .update({ response: JSON.stringify(response) });
}

/** Runs `work` once per key: a repeat gets the stored answer. A failed attempt frees the key. */
async function once<T>(db: Knex, key: string | undefined, kind: string, work: () => Promise<T>): Promise<T> {
  if (key === undefined) return work();
  const earlier = await claimRequest(db, key, kind);
  if (earlier) return earlier.replay as T;
  try {
    const result = await work();
    await saveResponse(db, key, result);
    return result;
  } catch (err) {
    await db('operator_requests').where('idempotency_key', key).delete();
    throw err;
  }
}

export interface RedriveAnswer {
  readonly deliveryId: number;
  readonly workflowId: string;
  readonly redriveCount: number;
  /** `started`, `duplicate`, or `queued` when Temporal did not take it now (the pump starts it later). */
  readonly start: string;
}

/** Resets one failed/skipped delivery to `accepted` with its next run id, under a row lock; then starts it. */
async function redriveOne(deps: DeliveriesDeps, id: number): Promise<RedriveAnswer> {
  const reset = await deps.db.transaction(async (trx) => {
    const row = await trx('webhook_deliveries')
      .where('id', id)
      .forUpdate()
      .first('id', 'status', 'workflow_id', 'run', 'redrive_count', 'reason');
    if (!row) throw new NotFoundError(`delivery ${id} not found`);
    if (!REDRIVABLE.includes(row.status as DeliveryStatus)) {
      throw new ConflictError(
        `delivery ${id} is ${String(row.status)}; only failed or skipped deliveries are redriven`
      );
    }
    const run = row.run as (StoredRun & { firstWorkflowId?: string }) | null;
    if (!run || !row.workflow_id) {
      throw new ConflictError(
        `delivery ${id} has nothing to run (it was skipped at intake: ${String(row.reason ?? 'no reason')})`
      );
    }
    const count = Number(row.redrive_count) + 1;
    const first = run.firstWorkflowId ?? String(row.workflow_id);
    const workflowId = `${first}-redrive-${count}`;
    const { startedAt: _startedAt, ...rest } = run;
    const nextRun = { ...rest, firstWorkflowId: first };
    await trx('webhook_deliveries')
      .where('id', id)
      .update({
        status: 'accepted',
        reason: null,
        finished_at: null,
        workflow_id: workflowId,
        redrive_count: count,
        run: JSON.stringify(nextRun),
        updated_at: trx.fn.now(),
      });
    return { workflowId, count, run: nextRun };
  });
  const outcome = await startStoredDelivery(deps, { id, workflowId: reset.workflowId, run: reset.run });
  return {
    deliveryId: id,
    workflowId: reset.workflowId,
    redriveCount: reset.count,
    start: outcome === 'unavailable' ? 'queued' : outcome,
  };
}

export function redriveDelivery(deps: DeliveriesDeps, id: number, key: string | undefined): Promise<RedriveAnswer> {
  return once(deps.db, key === undefined ? undefined : `redrive:${id}:${key}`, 'redrive', () => redriveOne(deps, id));
}

export interface BulkRedriveAnswer {
  readonly count: number;
  readonly runIds: string[];
}

/** Redrives every failed/skipped delivery the filter matches, oldest first (received order), at most 500. */
export function redriveMatching(
  deps: DeliveriesDeps,
  filter: DeliveryFilter,
  key: string | undefined
): Promise<BulkRedriveAnswer> {
  return once(deps.db, key === undefined ? undefined : `bulk-redrive:${key}`, 'bulk-redrive', async () => {
    const rows: Array<{ id: string | number }> = await deps
      .db('webhook_deliveries')
      .modify((b) => applyFilter(b, filter))
      .whereIn('status', filter.status ? [filter.status] : REDRIVABLE)
      .whereNotNull('run')
      .orderBy('id', 'asc')
      .limit(BULK_REDRIVE_MAX)
      .select('id');
    const runIds: string[] = [];
    for (const r of rows) runIds.push((await redriveOne(deps, Number(r.id))).workflowId);
    return { count: runIds.length, runIds };
  });
}
