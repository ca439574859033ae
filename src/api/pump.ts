/**
 * The delivery pump (SPEC §3 step 4): starts every durable delivery Temporal has not taken yet. Discord (and
 * Teams) never redeliver, so a click recorded while Temporal was down is started from here when it is back.
 *
 * One loop per API process, one leader across processes: each tick runs in one transaction that first takes
 * `pg_try_advisory_xact_lock(PUMP_LOCK_KEY)`. A process that does not get it does nothing this tick; the lock
 * goes with the transaction (commit, rollback, or a dead connection), so leadership never outlives a process.
 *
 * A tick (every {@link PUMP_INTERVAL_MS}, at once when this process's intake queued a delivery (`wake()`), and
 * again right away after a full batch; bounded):
 * - deliveries `accepted` with a stored `run` not yet stamped `startedAt`, received more than
 *   {@link PUMP_MIN_AGE_MS} ago (the intake's own start has had its chance) or queued for the pump
 *   (`run.queued`, JIRA_INTAKE=queued: the intake never starts those itself), oldest first, at most
 *   {@link PUMP_BATCH}, and not while an earlier delivery of the same issue is unfinished (so a resumed
 *   integration's deliveries apply in received order): started by workflow type through the starter
 *   (REJECT_DUPLICATE; `duplicate` counts as started). That covers Discord and Teams clicks, Jira deliveries
 *   that got a 503 (nothing depends on Jira retrying), deliveries resumed after a pause, and redrives. Up to
 *   {@link PUMP_CONCURRENCY} starts are in flight at once, and the tick's stamps go in one UPDATE. The first
 *   `unavailable` stops further starts: Temporal is still down, and the rest would only wait for the same deadline.
 * - Discord clicks older than {@link PUMP_MAX_AGE_MS} → `failed`: the interaction token is dead, the user's click
 *   cannot be answered any more (unless an operator redrove it).
 * Errors are logged (ids only) and never stop the loop.
 */
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { StoredRun } from './stored-runs';
import { stampStarted, startStoredDelivery } from './stored-runs';
import type { Starter } from './temporal-start';

/** The advisory lock key of the pump leader ('issue-sync pump' as a number; any constant unique to us). */
export const PUMP_LOCK_KEY = 0x15_5e_5c_0d;
export const PUMP_INTERVAL_MS = 1_000;
export const PUMP_MIN_AGE_MS = 2_000;
/** Discord's interaction token lifetime: a start after this could not answer the user any more. */
export const PUMP_MAX_AGE_MS = 15 * 60_000;
export const PUMP_BATCH = 100;
/**
 * Starts in flight at once within a tick (PUMP_CONCURRENCY; one issue's deliveries are never in the same tick
 * together). It bounds what the pump asks of Temporal: a burst larger than that waits, in order, in Postgres.
 */
export const PUMP_CONCURRENCY = 4;
/** Deadline of one start from the pump. */
const PUMP_START_DEADLINE_MS = 2_000;

export const EXPIRED_REASON = 'not started within the 15 minutes the interaction token lives';

export interface PumpDeps {
  readonly db: Knex;
  readonly start: Starter;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly intervalMs?: number;
  /** Starts in flight at once (default {@link PUMP_CONCURRENCY}). */
  readonly concurrency?: number;
  /** For tests: the age below which a delivery is left to the intake's background start. */
  readonly minAgeMs?: number;
}

export interface TickResult {
  /** False when another process holds the lock (this tick did nothing). */
  readonly leader: boolean;
  readonly started: number;
  readonly unavailable: boolean;
  readonly expired: number;
  readonly refused: number;
  /** The tick took a full batch: there may be more waiting, so the loop ticks again at once. */
  readonly full?: boolean;
}

export interface Pump {
  /** One tick now (the loop calls this; tests may too). */
  tick(): Promise<TickResult>;
  /** Asks for a tick as soon as possible (the intake queued a delivery); cheap to call for every delivery. */
  wake(): void;
  /** Stops the loop and waits for a running tick. */
  stop(): Promise<void>;
}

const IDLE: TickResult = { leader: false, started: 0, unavailable: false, expired: 0, refused: 0 };

async function runTick(deps: PumpDeps): Promise<TickResult> {
  const minAgeMs = deps.minAgeMs ?? PUMP_MIN_AGE_MS;
  return deps.db.transaction(async (trx) => {
    const lock = await trx.raw('select pg_try_advisory_xact_lock(?) as ok', [PUMP_LOCK_KEY]);
    if (lock.rows[0]?.ok !== true) return IDLE;
    const pending = () =>
      trx('webhook_deliveries as d')
        .where('d.status', 'accepted')
        .whereNotNull('d.run')
        .whereNotNull('d.workflow_id')
        .whereRaw("d.run->>'startedAt' is null");
    // A Discord click first answered more than 15 minutes ago can no longer be answered (its token is dead);
    // an operator's redrive is the exception: the change is wanted even if the chat answer fails.
    const expired = await trx('webhook_deliveries')
      .whereIn(
        'id',
        pending()
          .where({ 'd.provider': 'discord', 'd.redrive_count': 0 })
          .whereRaw('d.received_at <= now() - make_interval(secs => ?)', [PUMP_MAX_AGE_MS / 1000])
          .select('d.id')
      )
      .update({ status: 'failed', reason: EXPIRED_REASON, finished_at: trx.fn.now(), updated_at: trx.fn.now() });
    const rows: Array<{ id: string | number; workflow_id: string; run: StoredRun }> = await pending()
      .where((q) => {
        q.whereRaw('d.received_at < now() - make_interval(secs => ?)', [minAgeMs / 1000]).orWhereRaw(
          "d.run->>'queued' = 'true'"
        );
      })
      // One issue's deliveries start in received order: not while an earlier one of the same issue is unfinished.
      .whereNotExists(
        trx('webhook_deliveries as e')
          .whereRaw('e.integration_id = d.integration_id')
          .whereRaw('e.external_issue_key = d.external_issue_key')
          .whereRaw('e.id < d.id')
          .whereIn('e.status', ['accepted', 'running', 'paused'])
          .select(trx.raw('1'))
      )
      .orderBy('d.id')
      .limit(PUMP_BATCH)
      .select('d.id', 'd.workflow_id', 'd.run');
    let started = 0;
    let refused = 0;
    let unavailable = false;
    const stamped: number[] = [];
    const collect = (id: number): Promise<void> => {
      stamped.push(id);
      return Promise.resolve();
    };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (!unavailable && next < rows.length) {
        const r = rows[next++]!;
        const outcome = await startStoredDelivery(
          { db: trx, start: deps.start, logger: deps.logger },
          { id: Number(r.id), workflowId: r.workflow_id, run: r.run },
          PUMP_START_DEADLINE_MS,
          collect
        );
        if (outcome === 'unavailable') unavailable = true;
        else if (outcome === 'refused') {
          refused++;
          deps.logger.error(
            { deliveryId: Number(r.id), workflowId: r.workflow_id },
            'pump: Temporal refused the start'
          );
        } else {
          started++;
          deps.metrics?.deliveries.inc({ provider: r.run.labels.provider, result: 'pumped' });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? PUMP_CONCURRENCY, rows.length) }, lane));
    if (stamped.length > 0) await stampStarted(trx, stamped);
    if (started > 0 || expired > 0 || unavailable)
      deps.logger.info({ started, expired, refused, unavailable }, 'delivery pump tick');
    return { leader: true, started, unavailable, expired, refused, full: rows.length === PUMP_BATCH };
  });
}

/** Starts the loop; `stop()` ends it. The first tick runs after one interval (or at the first `wake()`). */
export function startPump(deps: PumpDeps): Pump {
  const intervalMs = deps.intervalMs ?? PUMP_INTERVAL_MS;
  let stopped = false;
  let ticking = false;
  let woken = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const tick = (): Promise<TickResult> => runTick(deps);
  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(loop, ms);
  };
  const loop = () => {
    if (stopped || ticking) return;
    ticking = true;
    woken = false;
    running = tick()
      .then(
        (r) => r.full === true && !r.unavailable,
        (err: unknown) => {
          deps.logger.error(
            { err: { name: (err as Error).name, message: (err as Error).message } },
            'pump tick failed'
          );
          return false;
        }
      )
      .then((more) => {
        ticking = false;
        schedule(more || woken ? 0 : intervalMs);
      });
  };
  schedule(intervalMs);
  return {
    tick,
    wake() {
      if (stopped) return;
      if (ticking) woken = true;
      else if (!woken) {
        woken = true;
        schedule(0);
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
