/**
 * Teams card actions under failure (SPEC §3.4, §3 step 4), through the real public route and the Bot Framework
 * simulator:
 * 1. Temporal unreachable when the click arrives: Teams still gets 202 at once (the delivery row is the promise),
 *    nothing happens to the group, and the delivery pump starts the stored run once Temporal is back — applied
 *    once, the card updated once.
 * 2. The worker SIGKILLed while the card PUT is in flight (Teams applied it, the worker never heard back): a
 *    fresh worker finishes the run — one change, the same card written again, no reply posted twice.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { TEAMS_ACTION_TYPES } from '../../src/activities/msteams/cards';
import type { StoredRun } from '../../src/api/stored-runs';
import { ActivityType } from '../../src/domain/model';
import type { ChatActionResult } from '../../src/workflows/chat-contracts';
import { recordHistory } from '../support/jira-world';
import type { Stack } from '../support/stack';
import { startApiWithTemporalDown, startPumpNow } from '../support/temporal-down';
import type { TeamsCall, TeamsSimulator } from '../support/teams-simulator';
import type { TeamsWorld } from '../support/teams-world';
import {
  CHANNEL,
  JANE_TEAMS,
  cardAction,
  postActivity,
  postCard,
  runResult,
  teamsEnv,
  useTeamsSuite,
} from '../support/teams-world';
import { kill, spawnWorker } from '../support/worker-child';

jest.setTimeout(90_000);

let stack: Stack;
let sim: TeamsSimulator;
let w: TeamsWorld;
let card: { messageId: string; chatMessageId: number };

// No worker by default: each test decides where (and whether) one runs.
const suite = useTeamsSuite({ worker: false });
beforeEach(async () => {
  ({ stack, sim, w } = suite);
  // The alert card is posted by a workflow: an in-process worker for that, stopped before the test proper.
  await stack.startWorker();
  try {
    card = await postCard(stack, { groupId: w.groupId, integrationId: w.teamsId, conversationId: CHANNEL });
  } finally {
    await stack.stopWorker();
  }
});

async function deliveryRow(activityId: string) {
  return stack.db('webhook_deliveries').where({ provider: 'msteams', delivery_key: activityId }).first();
}

/**
 * The run id the 202 names: an `msteams-` delivery id ending in the activity id (its exact form is
 * deliveryWorkflowId's business and is checked in teams-end-to-end). The delivery row must name the same run.
 */
function runIdOf(body: Record<string, unknown> | null, activityId: string): string {
  const workflowId = String(body?.workflowId);
  expect(workflowId.startsWith('msteams-') && workflowId.endsWith(`-${activityId}`)).toBe(true);
  return workflowId;
}

/** The card PUTs on one message, in order. */
function putsOn(messageId: string) {
  return sim.puts().filter((p) => p.activityId === messageId);
}

test('Temporal unreachable: 202 in under 1 s, the delivery stored accepted with its run; the pump starts it once Temporal is back and it is applied once', async () => {
  const body = cardAction(sim, {
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType: TEAMS_ACTION_TYPES.resolve,
    replyToId: card.messageId,
    inputs: { resolveInput: 'resolved' },
  });
  const activityId = String(body.id);
  const token = await sim.signActivityToken({ serviceUrl: sim.baseUrl, aud: sim.appId });

  const down = await startApiWithTemporalDown(stack);
  let ms: number;
  let workflowId: string;
  try {
    const t0 = performance.now();
    const res = await postActivity({ ...stack, api: down.api }, sim, body, { token });
    ms = performance.now() - t0;
    expect(res.status).toBe(202);
    workflowId = runIdOf(res.body, activityId);
  } finally {
    await down.close(); // waits out the intake's 1.5 s background start against the dead address
  }
  // Answered without waiting on Temporal (the background start alone may wait 1.5 s).
  expect(ms).toBeLessThan(1_000);

  // The click is durable: the row carries the whole start, not stamped as taken by Temporal.
  const row = await deliveryRow(activityId);
  expect(row).toMatchObject({ status: 'accepted', workflow_id: workflowId, integration_id: String(w.teamsId) });
  const run = row.run as StoredRun;
  expect(run).toMatchObject({
    workflowType: 'teamsCardAction',
    input: { deliveryKey: activityId, groupId: w.groupId, integrationId: w.teamsId, action: { kind: 'resolve' } },
  });
  expect(run.startedAt).toBeUndefined();
  // …and nothing else happened: no run in Temporal, the group unchanged, the card untouched.
  await expect(stack.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect(await stack.db('groups').where('id', w.groupId).first('status')).toEqual({ status: 0 });
  expect(await stack.db('activities').where({ group_id: w.groupId })).toHaveLength(0);
  expect(sim.puts()).toHaveLength(0);

  // Temporal is back (the stack's real client) with a worker: the pump takes the stored start.
  await stack.startWorker();
  const pump = startPumpNow(stack);
  try {
    expect(await pump.tick()).toMatchObject({ leader: true, started: 1, unavailable: false });
    const result = await runResult<ChatActionResult>(stack.client, workflowId);
    expect(result).toMatchObject({ outcome: 'applied', userId: w.janeId, changes: [{ kind: 'resolved' }] });
    // Stamped as taken: a later tick starts nothing (the run is not started twice).
    expect(await pump.tick()).toMatchObject({ leader: true, started: 0 });
  } finally {
    await pump.stop();
    await stack.stopWorker();
  }
  expect(await stack.db('groups').where('id', w.groupId).first('status')).toEqual({ status: 1 });
  expect(await stack.db('activities').where({ group_id: w.groupId, type: ActivityType.SetResolved })).toHaveLength(1);
  const puts = putsOn(card.messageId);
  expect(puts).toHaveLength(1);
  expect(puts[0]).toMatchObject({ conversationId: CHANNEL });
  expect(JSON.stringify(puts[0]!.body)).toContain('Unresolve');
  const done = await deliveryRow(activityId);
  expect(done.status).toBe('applied');
  expect((done.run as StoredRun).startedAt).toEqual(expect.any(String));
});

test('worker SIGKILLed while the card PUT is in flight: a fresh worker completes the run, one change, the same card written again, no duplicate reply', async () => {
  // A second card of the group, in Jane's personal chat: the notifier refreshes it and posts one reply under it
  // after the change, so there is a reply that a careless retry could duplicate.
  const personal = `a:personal-${JANE_TEAMS.id}`;
  await stack.startWorker();
  let other: { messageId: string };
  try {
    other = await postCard(stack, { groupId: w.groupId, integrationId: w.teamsId, conversationId: personal });
  } finally {
    await stack.stopWorker();
  }

  const clickedPut = (c: TeamsCall) =>
    c.method === 'PUT' && decodeURIComponent(c.path) === `/v3/conversations/${CHANNEL}/activities/${card.messageId}`;
  const child = await spawnWorker(stack, teamsEnv(sim));
  const held = sim.holdNext(clickedPut, 1);
  const body = cardAction(sim, {
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType: TEAMS_ACTION_TYPES.assign,
    replyToId: card.messageId,
    inputs: { assignInput: 'ME' },
  });
  let workflowId: string;
  try {
    const res = await postActivity(stack, sim, body);
    expect(res.status).toBe(202);
    workflowId = runIdOf(res.body, String(body.id));
    // Teams has applied the PUT (the simulator recorded it) but withholds the answer: the worker is inside
    // msteamsUpdateCard, after the group change was committed.
    await held.arrived;
    expect(putsOn(card.messageId)).toHaveLength(1);
  } finally {
    await kill(child);
  }
  sim.releaseAll(); // nothing left to release: the dead worker's connection closed the held request
  expect(await stack.db('group_assignees').where('group_id', w.groupId)).toHaveLength(1);

  await stack.startWorker();
  let result: ChatActionResult;
  try {
    result = await runResult<ChatActionResult>(stack.client, workflowId, 60_000);
  } finally {
    await stack.stopWorker();
  }
  expect(result).toMatchObject({
    outcome: 'applied',
    userId: w.janeId,
    changes: [{ kind: 'assigned', assigneeName: 'Jane Doe' }],
  });
  expect(await deliveryRow(String(body.id))).toMatchObject({ status: 'applied', workflow_id: workflowId });

  // The change happened once: the apply step completed before the kill and is never run again.
  expect(await stack.db('activities').where({ group_id: w.groupId, type: ActivityType.Assigned })).toHaveLength(1);
  expect(await stack.db('group_assignees').where('group_id', w.groupId)).toEqual([
    expect.objectContaining({ user_id: String(w.janeId), team_id: null }),
  ]);

  // The card: the first PUT reached Teams but its activity never completed (the worker died holding it), so once
  // its 15 s start-to-close timeout passed Temporal ran msteamsUpdateCard again on the fresh worker: a second PUT.
  // That is acceptable only because the PUT is idempotent — it writes the group's current state — so both bodies
  // must be identical (and show the assignment).
  const clicked = putsOn(card.messageId);
  expect(clicked).toHaveLength(2);
  expect(clicked[1]!.body).toEqual(clicked[0]!.body);
  expect(JSON.stringify(clicked[0]!.body)).toContain('Assigned to Jane Doe');
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'msteamsUpdateCard'
  );
  expect(scheduled).toHaveLength(1); // one step, retried by Temporal — not a second step
  const started = events.find(
    (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '') === String(scheduled[0]!.eventId)
  );
  expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);

  // No reply twice: none under the clicked card (the run updates it in place and leaves it out of the
  // notifier), exactly one under the other card, which the notifier refreshed once.
  expect(sim.activities(CHANNEL).filter((a) => a.replyToId !== undefined)).toHaveLength(0);
  expect(sim.activities(`${CHANNEL};messageid=${card.messageId}`)).toHaveLength(0);
  const replies = sim.activities(personal).filter((a) => a.replyToId === other.messageId);
  expect(replies).toHaveLength(1);
  expect(JSON.stringify(replies[0]!.body)).toContain('Jane Doe');
  expect(putsOn(other.messageId)).toHaveLength(1);

  if (process.env.RECORD_HISTORIES === '1') {
    await recordHistory(stack.client, workflowId, 'worker-killed-after-card-update');
  }
});
