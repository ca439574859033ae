/**
 * groupUpdate: a person changes a group through the tracker API (`PUT /api/groups/:id`; chat actions come
 * through here later). Same hubs as the inbound flows, then caches and chat messages, then the pushes to
 * every linked Jira issue in orgs with the forward flags.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ChangeSource } from '../domain/model';
import { step } from './proxies';
import type { GroupUpdateInput, GroupUpdateResult } from './shared';
import { SA } from './shared';
import { afterGroupChanges, outboundKinds, pushToLinkedIssues, reasonsOf } from './steps';

export async function groupUpdate(input: GroupUpdateInput): Promise<GroupUpdateResult> {
  const source: ChangeSource = {
    provider: 'api',
    integrationId: null,
    key: input.requestId,
    actorUserId: input.actorUserId,
  };
  const applied = await step('tracker', 'trackerApplyGroupChange', `Apply the API change to group ${input.groupId}`, {
    groupId: input.groupId,
    assignee: input.assignee,
    status: input.status,
    source,
  });
  const problems = await afterGroupChanges(applied.changed, source);
  const previous = applied.changed.find((c) => c.kind === 'assigned' || c.kind === 'unassigned')?.previousAssigneeType;
  const pushes = await pushToLinkedIssues(input.groupId, outboundKinds(applied.changed), source, {
    previousAssigneeType: previous,
  });
  const outcome = applied.changed.length > 0 ? 'applied' : 'skipped';
  upsertSearchAttributes([{ key: SA.Outcome, value: outcome }]);
  return {
    outcome,
    reason: reasonsOf(applied.skipped, problems),
    changes: applied.changed.map((c) => ({ kind: c.kind, assigneeName: c.assigneeName })),
    pushes,
  };
}
