/**
 * The end-to-end floor of `npm run bench` (bench only, never registered by src/worker.ts): a workflow with the
 * same number of activities as a jiraIssueUpdated assignee run, each a no-op, plus its one search-attribute upsert,
 * on its own task queue served by bench/floor-worker.ts with the same worker settings.
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type * as floorActivities from './floor-activities';
import { SA } from '../src/workflows/shared';

const { benchNoop } = proxyActivities<typeof floorActivities>({ startToCloseTimeout: '30 seconds' });

export async function benchFloor(input: { activities: number }): Promise<number> {
  for (let i = 0; i < input.activities; i++) {
    if (i === input.activities - 1) upsertSearchAttributes([{ key: SA.Outcome, value: 'applied' }]);
    await benchNoop(i);
  }
  return input.activities;
}
