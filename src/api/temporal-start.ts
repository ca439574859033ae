/**
 * The one way the API starts a workflow. It answers `started` or `duplicate` (a run with that id exists or
 * existed: the same request or delivery again), and throws UnavailableError (503) only when Temporal cannot
 * be reached in time (gRPC UNAVAILABLE or DEADLINE_EXCEEDED). Any other failure, such as a bad search
 * attribute or an id Temporal refuses, is a bug or a bad input and goes on as it is (500, logged), so it is
 * never hidden behind "Temporal is unreachable".
 */
import type { Client, ConnectionOptions, WorkflowStartOptions } from '@temporalio/client';
import { isGrpcServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Logger } from '../logger';
import type { RunLabels } from '../workflows/ids';
import { searchAttributes } from '../workflows/ids';
import { UnavailableError } from './errors';

/**
 * What to start: the workflow function (or, for a start read back from the database by the delivery pump, its
 * type name), its id and arguments, a one-line summary, and how to find it.
 */
export interface StartSpec<W extends Workflow = Workflow> {
  readonly workflow: W | string;
  readonly workflowId: string;
  readonly args: Parameters<W>;
  /** Shown in the Temporal UI; ids and keys only, never an email or secret. */
  readonly summary: string;
  readonly labels: RunLabels;
  /** How long this start may wait for Temporal; {@link START_DEADLINE_MS} when absent. */
  readonly deadlineMs?: number;
}

export type StartOutcome = 'started' | 'duplicate';

export type Starter = <W extends Workflow>(spec: StartSpec<W>) => Promise<StartOutcome>;

/** How long a start may wait for Temporal before the caller answers 503. */
export const START_DEADLINE_MS = 5_000;

/**
 * While Temporal is known to be down (an unreachable answer less than {@link DOWN_MEMORY_MS} ago), a start waits
 * at most this long: the 503 comes in under a second instead of after the full deadline, and the first start that
 * gets through clears the state, so recovery needs no separate probe.
 */
export const DOWN_START_DEADLINE_MS = 400;
/** How long one unreachable answer keeps the starter in fail-fast mode. */
export const DOWN_MEMORY_MS = 30_000;

/**
 * Client connection options: gRPC's reconnect backoff capped at one second (its default grows to two minutes),
 * so the API sees Temporal again within seconds of its return rather than half a minute.
 */
export function temporalConnectionOptions(address: string): ConnectionOptions {
  return {
    address,
    channelArgs: {
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.min_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
  };
}

/** gRPC status codes: 14 UNAVAILABLE (no connection), 4 DEADLINE_EXCEEDED (our start deadline passed). */
const UNREACHABLE = new Set<number>([14, 4]);

/** True when the error (or a cause) says Temporal could not be reached in time: the only case worth a 503. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isGrpcServiceError(e) && UNREACHABLE.has(e.code)) return true;
  }
  return false;
}

export function createStarter(deps: {
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  now?: () => number;
}): Starter {
  const now = deps.now ?? Date.now;
  /** When Temporal last answered "unreachable" (null: not known to be down). */
  let downAt: number | null = null;
  return async (spec) => {
    const { temporal } = deps;
    const wanted = spec.deadlineMs ?? START_DEADLINE_MS;
    const knownDown = downAt !== null && now() - downAt < DOWN_MEMORY_MS;
    const deadlineMs = knownDown ? Math.min(wanted, DOWN_START_DEADLINE_MS) : wanted;
    try {
      // The spec ties args to the workflow's parameters; the SDK's own conditional type cannot follow that.
      const options: WorkflowStartOptions<Workflow> = {
        taskQueue: deps.taskQueue,
        workflowId: spec.workflowId,
        // A closed run with this id is the same request again: never start a second one.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: spec.args,
        staticSummary: spec.summary,
        typedSearchAttributes: searchAttributes(spec.labels),
      };
      await temporal.withDeadline(Date.now() + deadlineMs, () =>
        temporal.workflow.start(spec.workflow as Workflow | string, options)
      );
      downAt = null;
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        downAt = null;
        return 'duplicate';
      }
      if (isTemporalUnreachable(err)) {
        downAt = now();
        deps.logger.warn({ workflowId: spec.workflowId, err: { name: (err as Error).name } }, 'Temporal unreachable');
        throw new UnavailableError('Temporal is unreachable; nothing was started, retry the request');
      }
      deps.logger.error({ workflowId: spec.workflowId, err: describeChain(err) }, 'workflow start refused');
      throw err;
    }
  };
}

/**
 * An error and its causes (at most 5 deep) as name, message and gRPC code: what a refused start needs to be
 * understood from the log (Temporal's reason, such as an id or a search attribute over its limit, is usually in
 * the cause). Workflow ids and Temporal's messages carry no secrets.
 */
function describeChain(err: unknown): Record<string, unknown> {
  const chain: Array<Record<string, unknown>> = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 5; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    chain.push({ name: e.name, message: e.message, ...(typeof code === 'number' ? { code } : {}) });
  }
  const [top, ...causes] = chain;
  return { ...(top ?? { name: typeof err, message: String(err) }), ...(causes.length > 0 ? { causes } : {}) };
}

/** Waits up to `ms` for a run's result; undefined when it is still running then. */
export async function resultWithin<T>(temporal: Client, workflowId: string, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([temporal.workflow.getHandle(workflowId).result() as Promise<T>, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `running`, `closed` (any terminal status) or `unknown` (no such run, or Temporal did not answer). */
export async function runState(temporal: Client, workflowId: string): Promise<'running' | 'closed' | 'unknown'> {
  try {
    const d = await temporal.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      temporal.workflow.getHandle(workflowId).describe()
    );
    return d.status.name === 'RUNNING' ? 'running' : 'closed';
  } catch {
    return 'unknown';
  }
}
