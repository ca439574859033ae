/**
 * Teams linking and messages through the real public route: an unlinked user's click sends the linking card to
 * their personal chat (opened with `POST /v3/conversations` when the click came from a channel), the run waits,
 * the user links through `/api/identity-links`, and the remembered action is applied and the card updated. And
 * the personal commands (`help`, `link`, `unlink`, anything else), a mention in a channel, a channel message
 * without one (204, nothing stored), and the bot added to a team (welcome card).
 */
import { TEAMS_ACTION_TYPES } from '../../src/activities/msteams/cards';
import type { ChatActionResult } from '../../src/workflows/chat-contracts';
import type { TeamsReplyResult } from '../../src/workflows/teams-reply';
import * as fx from '../support/fixtures';
import { recordHistory } from '../support/jira-world';
import type { Stack } from '../support/stack';
import { API_TOKEN } from '../support/stack';
import type { TeamsSimulator } from '../support/teams-simulator';
import type { TeamsWorld } from '../support/teams-world';
import {
  BOB_TEAMS,
  CHANNEL,
  JANE_TEAMS,
  PUBLIC_URL,
  botAdded,
  cardAction,
  postActivity,
  postCard,
  runResult,
  useTeamsSuite,
  textMessage,
} from '../support/teams-world';

jest.setTimeout(90_000);

let stack: Stack;
let sim: TeamsSimulator;
let w: TeamsWorld;

const suite = useTeamsSuite();
beforeEach(() => {
  ({ stack, sim, w } = suite);
});

interface CardContent {
  body: Array<{ text?: string }>;
  actions?: Array<{ type: string; url?: string; title: string }>;
}

/** The Adaptive Card of a message the bot sent. */
function cardOf(activity: { body: unknown } | undefined): CardContent {
  return (activity?.body as { attachments: Array<{ content: CardContent }> }).attachments[0]!.content;
}

function textOf(activity: { body: unknown } | undefined): string {
  return cardOf(activity)
    .body.map((b) => b.text ?? '')
    .join('\n');
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function linkWith(url: string, userId: number): Promise<{ status: number; body: Record<string, unknown> }> {
  expect(url.startsWith(`${PUBLIC_URL}/link/`)).toBe(true);
  const token = url.slice(`${PUBLIC_URL}/link/`.length);
  const res = await fetch(`${stack.api}/api/identity-links`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    body: JSON.stringify({ token, userId }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('an unlinked user clicks in a channel: link card in a new personal chat, they link, the action is applied and the card updated', async () => {
  const bobId = await fx.insertUser(stack.db, { username: 'bob', name: 'Bob Builder', emails: [] });
  await fx.addMember(stack.db, w.orgId, bobId, [w.teamId]);
  const card = await postCard(stack, { groupId: w.groupId, integrationId: w.teamsId, conversationId: CHANNEL });
  const body = cardAction(sim, {
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType: TEAMS_ACTION_TYPES.assign,
    inputs: { assignInput: 'ME' },
    replyToId: card.messageId,
    user: BOB_TEAMS,
  });
  const res = await postActivity(stack, sim, body);
  expect(res.status).toBe(202);
  const workflowId = String(res.body?.workflowId);

  // The personal chat is opened for Bob (bot + Bob + tenant), and the link card goes there, not to the channel.
  const created = await waitFor('a conversation to be created', () =>
    sim.calls.find((c) => c.method === 'POST' && c.path === '/v3/conversations')
  );
  expect(created.body).toMatchObject({
    members: [{ id: BOB_TEAMS.id }],
    isGroup: false,
    bot: { id: `28:${sim.appId}` },
  });
  const linkCall = await waitFor('the link card', () =>
    sim.calls.find((c) => c.method === 'POST' && /\/v3\/conversations\/a%3Asim-conv/.test(c.path))
  );
  const linkCard = cardOf({ body: linkCall.body });
  const open = linkCard.actions?.find((a) => a.type === 'Action.OpenUrl');
  expect(open?.url).toBeDefined();
  expect(await stack.db('group_assignees').where('group_id', w.groupId)).toHaveLength(0);

  const linked = await linkWith(open!.url!, bobId);
  expect(linked.status).toBe(201);
  expect(linked.body).toMatchObject({ signalled: true });

  const result = await runResult<ChatActionResult>(stack.client, workflowId);
  expect(result).toMatchObject({ outcome: 'applied', userId: bobId });
  expect(await stack.db('group_assignees').where('group_id', w.groupId).first('user_id')).toMatchObject({
    user_id: String(bobId),
  });
  const puts = sim.puts();
  expect(puts).toHaveLength(1);
  expect(puts[0]).toMatchObject({ conversationId: CHANNEL, activityId: card.messageId });
  expect(JSON.stringify(puts[0]!.body)).toContain('Assigned to Bob Builder');
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, workflowId, 'link-then-apply');
});

async function say(text: string, o: Parameters<typeof textMessage>[1] extends infer T ? Partial<T> : never = {}) {
  const body = textMessage(sim, { text, ...o });
  const res = await postActivity(stack, sim, body);
  return { res, body };
}

async function reply(text: string, o: Partial<Parameters<typeof textMessage>[1]> = {}): Promise<string> {
  const { res, body } = await say(text, o);
  expect(res.status).toBe(202);
  const result = await runResult<TeamsReplyResult>(stack.client, String(res.body?.workflowId));
  expect(result.outcome).toBe('applied');
  const conv = (body.conversation as { id: string }).id;
  const sent = sim.activities(conv);
  expect(sent.length).toBeGreaterThan(0);
  return textOf(sent[sent.length - 1]);
}

test('personal commands: help, unknown text, link when linked, unlink, then link again gets a link card', async () => {
  expect(await reply('help')).toContain('Commands (in a personal chat with me)');
  expect(await reply('what is this')).toContain("Sorry, I didn't understand");
  expect(await reply('link')).toContain('already linked');
  expect(await reply('unlink')).toContain('no longer linked');
  expect(await stack.db('identities').where({ idp_id: w.idpId, external_id: JANE_TEAMS.id })).toHaveLength(0);
  const { res, body } = await say('link');
  await runResult(stack.client, String(res.body?.workflowId));
  const sent = sim.activities((body.conversation as { id: string }).id);
  const open = cardOf(sent[sent.length - 1]).actions?.find((a) => a.type === 'Action.OpenUrl');
  expect(open?.url?.startsWith(`${PUBLIC_URL}/link/`)).toBe(true);
  // The link from the command works too (no run to wake: signalled false).
  const linked = await linkWith(open!.url!, w.janeId);
  expect(linked.status).toBe(201);
  expect(linked.body).toMatchObject({ signalled: false });
  expect(await stack.db('identities').where({ idp_id: w.idpId, external_id: JANE_TEAMS.id })).toHaveLength(1);
});

test('in a channel: a mention gets the "commands work in a personal chat" card; a message without one is 204 and stores nothing', async () => {
  const mentioned = await say('help', { where: { kind: 'channel' }, mention: true });
  expect(mentioned.res.status).toBe(202);
  const result = await runResult<TeamsReplyResult>(stack.client, String(mentioned.res.body?.workflowId));
  expect(result).toMatchObject({ outcome: 'applied', sent: 'mention' });
  const threadId = (mentioned.body.conversation as { id: string }).id;
  expect(textOf(sim.activities(threadId)[0])).toContain('Commands only work in a personal chat');

  const before = await stack.db('webhook_deliveries');
  const plain = await say('just chatting', { where: { kind: 'channel' } });
  expect(plain.res.status).toBe(204);
  expect(await stack.db('webhook_deliveries')).toHaveLength(before.length);
});

test('the bot added to a team posts a welcome card in that conversation', async () => {
  const body = botAdded(sim);
  const res = await postActivity(stack, sim, body);
  expect(res.status).toBe(202);
  const workflowId = String(res.body?.workflowId);
  const result = await runResult<TeamsReplyResult>(stack.client, workflowId);
  expect(result).toMatchObject({ outcome: 'applied', sent: 'welcome' });
  const conv = (body.conversation as { id: string }).id;
  expect(sim.activities(conv)).toHaveLength(1);
  expect(JSON.stringify(sim.activities(conv)[0]!.body)).toContain('Contoso Engineering');
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, workflowId, 'welcome');
});

test('an unreadable card action gets a reply saying why, and nothing changes', async () => {
  const card = await postCard(stack, { groupId: w.groupId, integrationId: w.teamsId, conversationId: CHANNEL });
  const body = cardAction(sim, {
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType: TEAMS_ACTION_TYPES.assign,
    inputs: { assignInput: 'everyone' },
    replyToId: card.messageId,
  });
  const res = await postActivity(stack, sim, body);
  expect(res.status).toBe(202);
  const result = await runResult<TeamsReplyResult>(stack.client, String(res.body?.workflowId));
  expect(result.outcome).toBe('applied');
  const thread = sim.activities((body.conversation as { id: string }).id);
  expect(textOf(thread[thread.length - 1])).toContain('That action could not be applied');
  expect(await stack.db('group_assignees')).toHaveLength(0);
  expect(sim.puts()).toHaveLength(0);
});

test('a card action for an integration of another tenant is refused with a reply; the group is untouched', async () => {
  const card = await postCard(stack, { groupId: w.groupId, integrationId: w.teamsId, conversationId: CHANNEL });
  await stack
    .db('integrations')
    .where('id', w.teamsId)
    .update({ metadata: { service_url: sim.baseUrl, tenant_id: 'another-tenant', app_id: sim.appId } });
  const body = cardAction(sim, {
    groupId: w.groupId,
    integrationId: w.teamsId,
    actionType: TEAMS_ACTION_TYPES.resolve,
    replyToId: card.messageId,
  });
  const res = await postActivity(stack, sim, body);
  const result = await runResult<ChatActionResult>(stack.client, String(res.body?.workflowId));
  expect(result.outcome).toBe('skipped');
  expect(result.reason).toContain('belongs to another tenant');
  expect(await stack.db('groups').where('id', w.groupId).first('status')).toMatchObject({ status: 0 });
});
