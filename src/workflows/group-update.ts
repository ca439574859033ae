/**
 * groupUpdate: the one path of a person's change to a group, from the tracker API (`PUT /api/groups/:id`),
 * Discord or Teams. Same hubs as the inbound flows, then caches and chat messages, then the pushes to every
 * linked Jira issue in orgs with the forward flags (never back to the integration the change came from).
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ChangeSource } from '../domain/model';
import { outboundKinds, pushToLinkedIssues } from './jira-push';
import { step } from './proxies';
import type { GroupUpdateInput, GroupUpdateResult } from './shared';
import { PROVIDER_NAMES, SA } from './shared';
import { afterGroupChanges, reasonsOf } from './steps';

/** Who made the change: the input's source, else (runs the API started before sources existed) the API. */
function changeSourceOf(input: GroupUpdateInput): ChangeSource {
  return input.source ?? { provider: 'api', integrationId: null, key: input.requestId, actorUserId: input.actorUserId };
}

/** "Apply the API change to group 7" (recorded histories keep this wording), "Apply the Discord change …". */
function applySummary(source: ChangeSource, groupId: number): string {
  const who = source.provider === 'api' ? 'API' : PROVIDER_NAMES[source.provider];
  return `Apply the ${who} change to group ${groupId}`;
}

export async function groupUpdate(input: GroupUpdateInput): Promise<GroupUpdateResult> {
  const source = changeSourceOf(input);
  const applied = await step('tracker', 'trackerApplyGroupChange', applySummary(source, input.groupId), {
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
