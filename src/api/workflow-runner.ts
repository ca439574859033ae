/**
 * Starting a workflow from an API request and (for calls that answer with the outcome) waiting a bounded
 * time for it. A repeated request with the same Idempotency-Key finds the same workflow and its result.
 */
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { InputError, UnavailableError } from './errors';

const KEY = /^[A-Za-z0-9._:-]{1,100}$/;

/** The request's Idempotency-Key header (validated), or a fresh id. Used in workflow ids and activity keys. */
export function requestIdOf(req: Request): string {
  const given = req.get('idempotency-key');
  if (given === undefined) return randomUUID();
  if (!KEY.test(given)) throw new InputError('Idempotency-Key: 1-100 characters of A-Z a-z 0-9 . _ : -');
  return given;
}

export type Started = { workflowId: string; existing: boolean };

/** Starts the workflow (an existing run with that id counts as started); Temporal unreachable → 503. */
export async function startWorkflow<W extends Workflow>(
  client: Client,
  workflow: W,
  options: WorkflowStartOptions<W>
): Promise<Started> {
  try {
    // A closed run with this id is the same request again: never start a second one.
    const opts = { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const, ...options };
    await client.withDeadline(Date.now() + 5_000, () => client.workflow.start(workflow, opts));
    return { workflowId: options.workflowId, existing: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId: options.workflowId, existing: true };
    throw new UnavailableError('Temporal is unreachable; nothing was started, retry the request');
  }
}

/** Waits up to `ms` for the workflow's result; undefined when it is still running then. */
export async function resultWithin<T>(client: Client, workflowId: string, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([client.workflow.getHandle(workflowId).result() as Promise<T>, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
