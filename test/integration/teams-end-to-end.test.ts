/**
 * Teams end to end through the real public routes (SPEC §3.4): a group's card posted to a channel through
 * `POST /api/groups/:id/alerts`, then Action.Submit clicks on it as Bot Framework sends them (a token signed by
 * the simulator's keys) → 202 → `teamsCardAction` on the worker → the group changes and the card is updated in
 * place with `PUT {serviceUrl}/v3/conversations/{id}/activities/{replyToId}` (checked in the simulator).
 */
import { TEAMS_ACTION_TYPES } from '../../src/activities/msteams/cards';
import type { ChatActionResult } from '../../src/workflows/chat-contracts';
import { JANE, delivery, issuePayload, recordHistory, resultOf, sendWebhook } from '../support/jira-world';
import * as fx from '../support/fixtures';
import type { Stack } from '../support/stack';
import type { TeamsSimulator } from '../support/teams-simulator';
import type { TeamsWorld } from '../support/teams-world';
import {
  BOB_TEAMS,
  CHANNEL,
  JANE_TEAMS,
  cardAction,
  newActivityId,
  postActivity,
  postCard,
  runResult,
  useTeamsSuite,
} from '../support/teams-world';

jest.setTimeout(90_000);

let stack: Stack;
let sim: TeamsSimulator;
let w: TeamsWorld;
let card: { messageId: string; chatMessageId: number; workflowId: string };

const suite = useTeamsSuite();
beforeEach(async () => {
  ({ stack, sim, w } = suite);
  card = await postCard(stack, { groupId: w.groupId, integrationId: w.teamsId, conversationId: CHANNEL });
});

async function click(
  actionType: string,
  inputs: Record<string, string> = {},
  o: { user?: typeof JANE_TEAMS; id?: string } = {}
): Promise<{ workflowId: string; result: ChatActionResult; status: number }> {
  const body = cardAction(sim, {
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType,
    replyToId: card.messageId,
    inputs,
    ...o,
  });
  const res = await postActivity(stack, sim, body);
  expect(res.status).toBe(202);
  const workflowId = String(res.body?.workflowId);
  expect(workflowId).toBe(`msteams-${w.teamsId}-${String(body.id)}`);
  const result = await runResult<ChatActionResult>(stack.client, workflowId);
  return { workflowId, result, status: res.status };
}

/** The card as the simulator holds it now (after the last PUT). */
function currentCard(): { text: string; actions: string[] } {
  const activity = sim.activities(CHANNEL).find((a) => a.id === card.messageId);
  const content = (activity?.body as { attachments: Array<{ content: Record<string, unknown> }> }).attachments[0]!
    .content;
  const text = JSON.stringify(content.body);
  const actions = ((content.actions ?? []) as Array<{ title: string }>).map((a) => a.title);
  return { text, actions };
}

async function groupRow() {
  return stack.db('groups').where('id', w.groupId).first('status', 'substatus');
}

async function assigneeRow() {
  return stack.db('group_assignees').where('group_id', w.groupId).first('user_id', 'team_id');
}

test('the alert card is posted once and recorded; it offers Resolve, Archive and Assign', async () => {
  const posted = sim.activities(CHANNEL);
  expect(posted).toHaveLength(1);
  expect(posted[0]!.id).toBe(card.messageId);
  const row = await stack.db('chat_messages').where('id', card.chatMessageId).first();
  expect(row).toMatchObject({
    provider: 'msteams',
    conversation_id: CHANNEL,
    message_id: card.messageId,
    service_url: sim.baseUrl,
  });
  expect(currentCard().actions).toEqual(['Resolve', 'Archive', 'Assign']);
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, card.workflowId, 'posted');
});

test('Resolve: the group is resolved and the clicked card is updated in place (channel id), offering Unresolve', async () => {
  const { result, workflowId } = await click(TEAMS_ACTION_TYPES.resolve, { resolveInput: 'resolved' });
  expect(result).toMatchObject({ outcome: 'applied', userId: w.janeId });
  expect(await groupRow()).toMatchObject({ status: 1 });
  const puts = sim.puts();
  expect(puts).toHaveLength(1);
  expect(puts[0]).toMatchObject({ conversationId: CHANNEL, activityId: card.messageId });
  expect(currentCard().actions).toContain('Unresolve');
  expect(currentCard().actions).not.toContain('Resolve');
  const d = await stack.db('webhook_deliveries').where('workflow_id', workflowId).first();
  expect(d).toMatchObject({ provider: 'msteams', integration_id: String(w.teamsId), status: 'applied' });
  const activity = await stack.db('activities').where({ group_id: w.groupId, type: 1 }).first('data');
  expect(activity.data).toMatchObject({ provider: 'msteams', integration_id: w.teamsId });
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, workflowId, 'resolve');
});

test('Resolve in the next release needs releases: the strategy comes from resolveInput', async () => {
  await stack.db('projects').where('id', w.projectId).update({ has_releases: true });
  await fx.insertRelease(stack.db, w.orgId, w.projectId, '1.0.0', new Date());
  const { result } = await click(TEAMS_ACTION_TYPES.resolve, { resolveInput: 'resolved:inNextRelease' });
  expect(result.outcome).toBe('applied');
  expect(await stack.db('group_resolutions').where('group_id', w.groupId).first('type')).toMatchObject({
    type: 'in_next_release',
  });
});

test('Archive, then Unarchive (actionType 4) through the card', async () => {
  const archived = await click(TEAMS_ACTION_TYPES.archive, { archiveInput: '-1' });
  expect(archived.result.outcome).toBe('applied');
  expect(await groupRow()).toMatchObject({ status: 2 });
  expect(currentCard().actions).toContain('Unarchive');
  const back = await click(TEAMS_ACTION_TYPES.unresolve);
  expect(back.result.outcome).toBe('applied');
  expect(await groupRow()).toMatchObject({ status: 0 });
  expect(sim.puts()).toHaveLength(2);
});

test('Assign ME assigns the linked user; Unassign removes it; the card follows each time', async () => {
  const me = await click(TEAMS_ACTION_TYPES.assign, { assignInput: 'ME' });
  expect(me.result.outcome).toBe('applied');
  expect(await assigneeRow()).toMatchObject({ user_id: String(w.janeId), team_id: null });
  expect(currentCard().text).toContain('Assigned to Jane Doe');
  expect(currentCard().actions).toContain('Unassign');
  const un = await click(TEAMS_ACTION_TYPES.unassign);
  expect(un.result.outcome).toBe('applied');
  expect(await assigneeRow()).toBeUndefined();
  expect(currentCard().actions).not.toContain('Unassign');
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, me.workflowId, 'assign-me');
});

test('Assign a team (team:<id>) from the choice set', async () => {
  const { result } = await click(TEAMS_ACTION_TYPES.assign, { assignInput: `team:${w.teamId}` });
  expect(result.outcome).toBe('applied');
  expect(await assigneeRow()).toMatchObject({ user_id: null, team_id: String(w.teamId) });
  expect(currentCard().text).toContain('#backend');
});

test('a card in a personal chat is updated at conversation.id', async () => {
  const personal = `a:personal-${JANE_TEAMS.id}`;
  const mine = await postCard(stack, { groupId: w.groupId, integrationId: w.teamsId, conversationId: personal });
  const body = cardAction(sim, {
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType: TEAMS_ACTION_TYPES.resolve,
    replyToId: mine.messageId,
    where: { kind: 'personal', personalId: personal },
  });
  const res = await postActivity(stack, sim, body);
  expect(res.status).toBe(202);
  const result = await runResult<ChatActionResult>(stack.client, String(res.body?.workflowId));
  expect(result.outcome).toBe('applied');
  const puts = sim.puts();
  // The clicked personal card is updated in place; the channel card is refreshed by the notifier.
  expect(puts.find((p) => p.activityId === mine.messageId)).toMatchObject({ conversationId: personal });
  expect(puts.find((p) => p.activityId === card.messageId)).toMatchObject({ conversationId: CHANNEL });
});

test('a user who is not a member of the org gets a reply and the delivery is skipped with the reason', async () => {
  const bobId = await fx.insertUser(stack.db, { username: 'bob', name: 'Bob', emails: [] });
  await fx.insertIdentity(stack.db, { idpId: w.idpId, userId: bobId, externalId: BOB_TEAMS.id });
  const { result, workflowId } = await click(TEAMS_ACTION_TYPES.resolve, {}, { user: BOB_TEAMS });
  expect(result.outcome).toBe('skipped');
  expect(result.reason).toContain('not a member');
  expect(await groupRow()).toMatchObject({ status: 0 });
  expect(sim.puts()).toHaveLength(0);
  const replies = sim.activities(`${CHANNEL};messageid=${card.messageId}`);
  expect(replies).toHaveLength(1);
  expect(replies[0]!.replyToId).toBe(card.messageId);
  expect(JSON.stringify(replies[0]!.body)).toContain('must be a member of the organization');
  const d = await stack.db('webhook_deliveries').where('workflow_id', workflowId).first();
  expect(d).toMatchObject({ status: 'skipped' });
  expect(d.reason).toContain('not a member');
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, workflowId, 'not-a-member');
});

test('a duplicate activity id is one delivery, one run and one card update', async () => {
  const id = newActivityId();
  const body = cardAction(sim, {
    id,
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType: TEAMS_ACTION_TYPES.archive,
    replyToId: card.messageId,
  });
  const answers = await Promise.all([1, 2, 3].map(() => postActivity(stack, sim, body)));
  expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
  await runResult(stack.client, `msteams-${w.teamsId}-${id}`);
  const rows = await stack.db('webhook_deliveries').where({ provider: 'msteams', delivery_key: id });
  expect(rows).toHaveLength(1);
  expect(rows[0].attempts).toBe(3);
  expect(sim.puts()).toHaveLength(1);
  expect(await stack.db('activities').where({ group_id: w.groupId, type: 3 })).toHaveLength(1);
});

test('a Jira assignment rebuilds the Teams card (the notifier refreshes Teams cards too)', async () => {
  const res = await sendWebhook(
    stack.api,
    issuePayload({
      changedFields: ['assignee'],
      updated: new Date().toISOString(),
      assignee: { ...JANE, emailAddress: JANE.email },
    })
  );
  expect(res.status).toBe(202);
  const result = await resultOf(stack.client, String((res.body as { workflowId: string }).workflowId));
  expect(result.outcome).toBe('applied');
  const puts = sim.puts();
  expect(puts).toHaveLength(1);
  expect(puts[0]).toMatchObject({ conversationId: CHANNEL, activityId: card.messageId });
  expect(currentCard().text).toContain('Assigned to Jane Doe');
  // …and one reply under the card announcing it, once.
  const replies = sim.activities(CHANNEL).filter((a) => a.replyToId === card.messageId);
  expect(replies).toHaveLength(1);
});

test('nothing is stored for a request without a valid token (401 JSON)', async () => {
  const body = cardAction(sim, {
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType: TEAMS_ACTION_TYPES.resolve,
    replyToId: card.messageId,
  });
  const wrongAud = await sim.signActivityToken({ serviceUrl: sim.baseUrl, aud: 'someone-else' });
  const otherService = await sim.signActivityToken({
    serviceUrl: 'https://smba.trafficmanager.net/amer/',
    aud: sim.appId,
  });
  for (const token of ['', 'not-a-jwt', wrongAud, otherService]) {
    const res = await postActivity(stack, sim, body, { token });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { name: 'SignatureError' } });
  }
  expect(await stack.db('webhook_deliveries')).toHaveLength(0);
  expect(await groupRow()).toMatchObject({ status: 0 });
  expect(await delivery(stack.db, 1)).toBeUndefined();
});
