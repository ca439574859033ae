/** What services need: the database, the one workflow starter, and a way to read a run's result. */
import type { Knex } from 'knex';
import type { Starter } from '../temporal-start';

export interface ServiceDeps {
  readonly db: Knex;
  readonly start: Starter;
  /** Waits up to `ms` for a run's result; undefined while it is still running. */
  resultWithin<T>(workflowId: string, ms: number): Promise<T | undefined>;
  /** Whether a run with this id is running, closed, or unknown to Temporal. */
  runState(workflowId: string): Promise<'running' | 'closed' | 'unknown'>;
}
