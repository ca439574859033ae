/**
 * jiraIssueUpdated: one run per Jira `jira:issue_updated` delivery (id `jira-<delivery key>`).
 * Move chain (re-key), assignee chain, then status chain; each step an activity; the delivery row ends
 * applied, skipped or failed with a reason.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { ApplyResult, AssigneeTarget, ChangeSource, GroupChange } from '../domain/model';
import { statusTargetFromCategory } from '../domain/rules';
import { localSteps, step } from './proxies';
import type { ChainResult, JiraIssueUpdatedInput, SyncResult } from './shared';
import { SA } from './shared';
import { pushToLinkedIssues } from './jira-push';
import { afterGroupChanges, failureReason, failureType, reasonsOf } from './steps';

const REFUSED: Record<string, string> = {
  Unauthorized: 'Jira refused the email lookup (401: the app is not authorized)',
  Forbidden: 'Jira refused the email lookup (403: the app may not read emails)',
  NotFound: 'Jira does not know the assignee account (404)',
};

async function resolveAssignee(
  input: JiraIssueUpdatedInput
): Promise<{ target: AssigneeTarget | null; reason?: string }> {
  const a = input.assignee;
  if (a == null) return { target: { kind: 'none' } };
  try {
    return await step('jira', 'jiraResolveAssigneeEmail', `Resolve the assignee's email for ${input.issue.key}`, {
      integrationId: input.integrationId,
      accountId: a.accountId,
      emailSha256: a.emailSha256,
    });
  } catch (err) {
    const refused = REFUSED[failureType(err) ?? ''];
    if (refused) return { target: null, reason: refused };
    throw err;
  }
}

function chain(name: ChainResult['chain'], applied: ApplyResult, extra: Array<string | null | undefined>): ChainResult {
  const changed = [...new Set(applied.changed.map((c) => c.groupId))];
  const reason = reasonsOf(applied.skipped, extra);
  return { chain: name, outcome: changed.length > 0 ? 'applied' : 'skipped', reason, changedGroupIds: changed };
}

function skipped(name: ChainResult['chain'], reason: string): ChainResult {
  return { chain: name, outcome: 'skipped', reason, changedGroupIds: [] };
}

/** Step 2 of both chains: the external issues (and their groups) in orgs that sync this direction. */
function findLinks(input: JiraIssueUpdatedInput, flag: 'sync_reverse_assignment' | 'sync_status_reverse') {
  const what = flag === 'sync_reverse_assignment' ? 'assignee sync' : 'status sync';
  return step('tracker', 'trackerFindLinkedGroups', `Find groups linked to ${input.issue.key} (${what})`, {
    integrationId: input.integrationId,
    issueKey: input.issue.key,
    issueId: input.issue.id,
    flag,
  });
}

/** Pushes each changed group's assignee to its other linked Jira issues; returns what did not go through. */
async function pushAssigneeOnwards(changes: readonly GroupChange[], source: ChangeSource): Promise<string[]> {
  const problems: string[] = [];
  for (const c of changes) {
    const pushes = await pushToLinkedIssues(c.groupId, ['assignee'], source, {
      previousAssigneeType: c.previousAssigneeType,
    });
    for (const p of pushes)
      if (p.outcome === 'failed') problems.push(`assignee not pushed to ${p.key}: ${p.reason ?? 'failed'}`);
  }
  return problems;
}

async function assigneeChain(input: JiraIssueUpdatedInput, source: ChangeSource): Promise<ChainResult> {
  const { target, reason } = await resolveAssignee(input);
  const links = await findLinks(input, 'sync_reverse_assignment');
  if (links.externalIssueIds.length === 0) return skipped('assignee', reasonsOf(links.skipped) ?? 'no linked groups');
  const summary = target
    ? `Apply the assignee to groups linked to ${input.issue.key}`
    : `Advance the assignee watermark of ${input.issue.key}`;
  const applied = await step('tracker', 'trackerApplyInboundAssignee', summary, {
    externalIssueIds: links.externalIssueIds,
    eventAt: input.eventAt,
    target,
    source,
  });
  const problems = await afterGroupChanges(applied.changed, source);
  // Added after the first histories were recorded: an assignment from Jira goes on to the *other* linked Jira
  // issues (never back to this site). Inbound status changes never trigger outbound status syncs. A run with
  // local steps is newer than this patch, so it does not record (and pay for) a second patch marker.
  if (localSteps() || patched('outbound-assignee-sync'))
    problems.push(...(await pushAssigneeOnwards(applied.changed, source)));
  const skips = target ? applied.skipped : applied.skipped.filter((s) => s.reason.startsWith('stale'));
  return chain('assignee', { changed: applied.changed, skipped: [...links.skipped, ...skips] }, [
    target ? null : reason,
    ...problems,
  ]);
}

async function statusChain(input: JiraIssueUpdatedInput, source: ChangeSource): Promise<ChainResult> {
  const target = statusTargetFromCategory(input.statusCategory);
  if (!target) return skipped('status', 'no status category in the issue snapshot');
  const links = await findLinks(input, 'sync_status_reverse');
  if (links.externalIssueIds.length === 0) return skipped('status', reasonsOf(links.skipped) ?? 'no linked groups');
  const applied = await step(
    'tracker',
    'trackerApplyInboundStatus',
    `Apply status ${target} to groups linked to ${input.issue.key}`,
    { externalIssueIds: links.externalIssueIds, eventAt: input.eventAt, target, source, orgConfig: links.orgConfig }
  );
  const problems = await afterGroupChanges(applied.changed, source);
  return chain('status', { changed: applied.changed, skipped: [...links.skipped, ...applied.skipped] }, problems);
}

async function moveChain(input: JiraIssueUpdatedInput): Promise<ChainResult> {
  const { rekeyed } = await step('tracker', 'trackerRekeyExternalIssue', `Re-key moved issue ${input.issue.key}`, {
    integrationId: input.integrationId,
    issueId: input.issue.id,
    issueKey: input.issue.key,
    previousKey: input.moved?.previousKey ?? null,
  });
  return rekeyed > 0
    ? { chain: 'move', outcome: 'applied', reason: null, changedGroupIds: [] }
    : skipped('move', 'issue key already up to date');
}

function summarize(chains: readonly ChainResult[]): SyncResult {
  const groupIds = [...new Set(chains.flatMap((c) => c.changedGroupIds))].sort((a, b) => a - b);
  const applied = chains.some((c) => c.outcome === 'applied');
  const reasons = chains.map((c) => c.reason).filter((r): r is string => !!r);
  return {
    outcome: applied ? 'applied' : 'skipped',
    reason: reasons.length > 0 ? reasons.join('; ') : null,
    groupIds,
    chains: [...chains],
  };
}

async function finish(input: JiraIssueUpdatedInput, result: SyncResult): Promise<void> {
  upsertSearchAttributes([
    { key: SA.Outcome, value: result.outcome },
    { key: SA.GroupIds, value: result.groupIds.map(String) },
  ]);
  await step('tracker', 'trackerFinishDelivery', `Mark delivery ${input.deliveryId} ${result.outcome}`, {
    deliveryId: input.deliveryId,
    outcome: result.outcome,
    reason: result.reason,
    groupIds: result.groupIds,
  });
}

export async function jiraIssueUpdated(input: JiraIssueUpdatedInput): Promise<SyncResult> {
  const source: ChangeSource = {
    provider: 'jira',
    integrationId: input.integrationId,
    key: input.deliveryKey,
    label: input.issue.key,
  };
  await step('tracker', 'trackerMarkDeliveryRunning', `Delivery ${input.deliveryId} is running`, {
    deliveryId: input.deliveryId,
  });
  const chains: ChainResult[] = [];
  try {
    if (input.moved) chains.push(await moveChain(input));
    if (input.assignee !== undefined) chains.push(await assigneeChain(input, source));
    if (input.statusCategory !== undefined) chains.push(await statusChain(input, source));
  } catch (err) {
    await finish(input, { outcome: 'failed', reason: failureReason(err), groupIds: [], chains });
    throw err;
  }
  const result = summarize(chains);
  await finish(input, result);
  return result;
}
