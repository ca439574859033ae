/**
 * The end-to-end floor of `npm run bench` (bench only, never registered by src/worker.ts): a workflow of the same
 * shape as a jiraIssueUpdated assignee run, every step a no-op: as many regular activities and as many local
 * activities (one local first, the regular ones, then the other locals, as ours runs them), plus its one
 * search-attribute upsert, on its own task queue served by bench/floor-worker.ts with the same worker settings.
 */
import { proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type * as floorActivities from './floor-activities';
import { SA } from '../src/workflows/shared';

const { benchNoop } = proxyActivities<typeof floorActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<typeof floorActivities>({ startToCloseTimeout: '30 seconds' });

export async function benchFloor(input: { activities: number; localActivities?: number }): Promise<number> {
  const locals = input.localActivities ?? 0;
  let step = 0;
  if (locals > 0) await local.benchNoop(step++);
  for (let i = 0; i < input.activities; i++) await benchNoop(step++);
  for (let i = 1; i < locals; i++) {
    if (i === locals - 1) upsertSearchAttributes([{ key: SA.Outcome, value: 'applied' }]);
    await local.benchNoop(step++);
  }
  if (locals <= 1) upsertSearchAttributes([{ key: SA.Outcome, value: 'applied' }]);
  return step;
}
