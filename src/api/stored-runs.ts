/**
 * Stored runs: the start a delivery row keeps in `webhook_deliveries.run` (workflow type, input, summary, labels;
 * ids and hashes only), and starting one. The intake's background start (durable deliveries), the delivery pump
 * (pump.ts) and the operator's redrive (services/deliveries.ts) all start stored runs through
 * {@link startStoredDelivery}; a start Temporal took is stamped `run.startedAt` so the pump leaves it alone.
 */
import type { Knex } from 'knex';
import { isGrpcServiceError } from '@temporalio/client';
import type { Logger } from '../logger';
import type { RunLabels } from '../workflows/ids';
import { UnavailableError } from './errors';
import type { StartOutcome, Starter } from './temporal-start';

/** What starting a stored run needs: the database (or the pump's transaction), the starter, a logger. */
export interface StoredStartDeps {
  readonly db: Knex;
  readonly start: Starter;
  readonly logger?: Logger;
}

/** How long the background start of a durable delivery may wait for Temporal (the pump retries after that). */
export const DURABLE_START_DEADLINE_MS = 1_500;

/** A start as `webhook_deliveries.run` holds it, so the pump can start it later. Ids only, never a secret. */
export interface StoredRun {
  readonly workflowType: string;
  /** The workflow input without `deliveryId` (the row's id is added at start). */
  readonly input: Record<string, unknown>;
  readonly summary: string;
  readonly labels: RunLabels;
  /** ISO time Temporal took the start (`started` or `duplicate`); absent while the pump still has to start it. */
  readonly startedAt?: string;
  /** Queued for the pump (JIRA_INTAKE=queued): the intake never starts it, the pump takes it at any age. */
  readonly queued?: boolean;
}

/** A delivery row with a stored start, as the pump (or the background start) reads it. */
export interface StoredDelivery {
  readonly id: number;
  readonly workflowId: string;
  readonly run: StoredRun;
}

/** `started`/`duplicate`: Temporal has the run; `unavailable`: try again later; `refused`: marked failed. */
export type StoredStartOutcome = StartOutcome | 'unavailable' | 'refused';

/**
 * gRPC codes that mean Temporal looked at the start and will never take it (a bad argument or search attribute,
 * an unknown namespace, no permission): the delivery is marked failed. Anything else (throttling, a connection
 * closed under the call because this process is shutting down, an unknown error) may pass, so the delivery stays
 * `accepted` for the pump. The bench found deliveries marked failed when an API process was stopped with
 * background starts in flight.
 */
const GRPC_REFUSALS = new Set([3, 5, 7, 9]); // INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION

/** Whether a start error is Temporal's final "no" (see {@link GRPC_REFUSALS}); false means "try again later". */
export function isStartRefusal(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isGrpcServiceError(e)) return GRPC_REFUSALS.has(Number(e.code));
  }
  return false;
}

/**
 * Starts a stored delivery's run by its workflow type, REJECT_DUPLICATE (a `duplicate` counts as started) and
 * stamps `run.startedAt`. Temporal unreachable (or throttling) → `unavailable`, the row left as it is. Any
 * other refusal is a bug or a bad input that no retry fixes: the row becomes `failed` with the error's name.
 */
export async function startStoredDelivery(
  deps: StoredStartDeps,
  row: StoredDelivery,
  deadlineMs: number = DURABLE_START_DEADLINE_MS,
  stamp?: (deliveryId: number) => Promise<void>
): Promise<StoredStartOutcome> {
  let outcome: StartOutcome;
  try {
    outcome = await deps.start({
      workflow: row.run.workflowType,
      workflowId: row.workflowId,
      args: [{ ...row.run.input, deliveryId: row.id }],
      summary: row.run.summary,
      labels: row.run.labels,
      deadlineMs,
    });
  } catch (err) {
    if (err instanceof UnavailableError || !isStartRefusal(err)) return 'unavailable';
    await deps
      .db('webhook_deliveries')
      .where({ id: row.id, status: 'accepted' })
      .update({
        status: 'failed',
        reason: `Temporal refused the start (${(err as Error).name})`,
        finished_at: deps.db.fn.now(),
        updated_at: deps.db.fn.now(),
      });
    return 'refused';
  }
  await (stamp ?? ((id: number) => stampStarted(deps.db, [id])))(row.id);
  return outcome;
}

/** Marks stored runs as taken by Temporal, so the pump leaves them alone. */
export function stampStarted(db: Knex, deliveryIds: readonly number[]): Promise<unknown> {
  return db('webhook_deliveries')
    .whereIn('id', deliveryIds)
    .update({ run: db.raw("run || jsonb_build_object('startedAt', now())") });
}

/** The most ids one coalesced stamp UPDATE carries. */
const STAMP_BATCH = 500;
const stampers = new WeakMap<Knex, (deliveryId: number) => Promise<void>>();

/**
 * The intake's stamps, coalesced: the first goes at once; ids that arrive while an UPDATE is in flight go together
 * in the next one. Under load that is one statement per round trip instead of one per delivery (issue 10, P1).
 */
export function coalescedStamp(db: Knex): (deliveryId: number) => Promise<void> {
  const known = stampers.get(db);
  if (known) return known;
  let waiting: Array<{ id: number; done: (err?: Error) => void }> = [];
  let flushing = false;
  const flush = async (): Promise<void> => {
    flushing = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, STAMP_BATCH);
      waiting = waiting.slice(STAMP_BATCH);
      const ids = batch.map((w) => w.id);
      const err = await stampStarted(db, ids).then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e : new Error('stamp failed'))
      );
      for (const w of batch) w.done(err);
    }
    flushing = false;
  };
  const stamp = (id: number) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ id, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!flushing) void flush();
    });
  stampers.set(db, stamp);
  return stamp;
}
