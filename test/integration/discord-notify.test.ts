/**
 * Send message: after a Jira-driven change, the Discord alert is edited in place and a short reply is posted
 * (real REST paths against the Discord simulator). Plus the crash test: the worker is SIGKILLed after Discord
 * accepted the reply; a new worker finishes the workflow with no duplicate rows and no second message.
 */
import type { Stack } from '../support/stack';
import { useChatSuite } from '../support/chat-suite';
import type { DiscordSimulator } from '../support/discord-simulator';
import { rateLimited } from '../support/discord-simulator';
import type { JiraSimulator } from '../support/jira-simulator';
import * as fx from '../support/fixtures';
import { kill, spawnWorker } from '../support/worker-child';
import type { World } from '../support/jira-world';
import { JANE, delivery, issuePayload, resultOf, seedWorld, sendWebhook } from '../support/jira-world';

const BOT_TOKEN = 'discord-bot-token-for-tests';
const CHANNEL = '1100000000000000001';
const ALERT = '1200000000000000001';

let stack: Stack;
let jira: JiraSimulator;
let discord: DiscordSimulator;
let w: World;

const suite = useChatSuite({ botToken: BOT_TOKEN, worker: false });

beforeAll(() => {
  ({ stack, jira, discord } = suite);
});
beforeEach(async () => {
  w = await seedWorld(stack.db, jira);
  const discordId = await fx.insertDiscordIntegration(stack.db, {
    guildId: 'guild-1',
    applicationId: 'app-1',
    botToken: BOT_TOKEN,
  });
  await fx.insertChatMessage(stack.db, {
    groupId: w.groupId,
    integrationId: discordId,
    channelId: CHANNEL,
    messageId: ALERT,
  });
  discord.seedMessage(CHANNEL, ALERT, { content: '' });
});

const assignJane = (minute: number) =>
  issuePayload({
    changedFields: ['assignee'],
    updated: new Date(Date.UTC(2026, 10, 2, 9, minute)).toISOString(),
    assignee: { ...JANE, emailAddress: JANE.email },
  });

function replies() {
  return discord.messages(CHANNEL).filter((m) => m.id !== ALERT);
}

describe('with a worker in this process', () => {
  beforeAll(() => stack.startWorker());
  afterAll(() => stack.stopWorker());

  test('When Jira assigns, Then the alert is edited to show the assignee and one reply is posted under it', async () => {
    const sent = await sendWebhook(stack.api, assignJane(1), { identifier: 'dn-1' });
    const result = await resultOf(stack.client, sent.body.workflowId, 'discord-alert-edited-and-replied');
    expect(result.outcome).toBe('applied');
    const edits = discord.calls.filter((c) => c.route === 'editMessage');
    expect(edits).toHaveLength(1);
    expect(edits[0]!.url).toBe(`/api/v10/channels/${CHANNEL}/messages/${ALERT}`);
    expect(edits[0]!.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
    const alert = discord.messages(CHANNEL).find((m) => m.id === ALERT)!;
    expect(JSON.stringify(alert.embeds)).toContain('Jane Doe');
    expect(JSON.stringify(alert.components)).toContain(`assign_dialog:${w.groupId}`);
    const posted = replies();
    expect(posted).toHaveLength(1);
    expect(posted[0]!.content).toBe('Assigned to Jane Doe from Jira APP-123');
    expect(posted[0]!.message_reference).toMatchObject({ message_id: ALERT });
    expect(JSON.stringify(discord.calls)).not.toContain(JANE.email);
  });

  test('When Discord rate-limits the reply, Then it is retried after retry_after and posted once', async () => {
    discord.failNext(1, rateLimited(1), (c) => c.route === 'createMessage');
    const sent = await sendWebhook(stack.api, assignJane(2), { identifier: 'dn-2' });
    expect((await resultOf(stack.client, sent.body.workflowId)).outcome).toBe('applied');
    expect(discord.calls.filter((c) => c.route === 'createMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(replies()).toHaveLength(1);
  });

  test('When the group has no chat message, Then nothing is sent and the delivery is applied', async () => {
    await stack.db('chat_messages').delete();
    const sent = await sendWebhook(stack.api, assignJane(3), { identifier: 'dn-3' });
    expect((await resultOf(stack.client, sent.body.workflowId)).outcome).toBe('applied');
    expect(discord.calls).toHaveLength(0);
    expect((await delivery(stack.db, sent.body.deliveryId)).reason).toBeNull();
  });
});

test('When the worker is killed after Discord accepted the reply, Then a new worker completes it with no duplicates', async () => {
  const child = await spawnWorker(stack);
  const held = discord.holdNext((c) => c.route === 'createMessage');
  const sent = await sendWebhook(stack.api, assignJane(4), { identifier: 'dn-crash' });
  await held.arrived; // Discord has created the reply; our worker never hears back.
  await kill(child);
  discord.releaseAll();

  await stack.startWorker();
  try {
    const result = await resultOf(stack.client, sent.body.workflowId, 'worker-killed-mid-workflow');
    expect(result.outcome).toBe('applied');
  } finally {
    await stack.stopWorker();
  }
  expect(replies()).toHaveLength(1);
  // The first POST was held and never answered; the retry carried the same nonce and Discord deduped it.
  const posts = discord.calls.filter((c) => c.route === 'createMessage');
  expect(posts[0]!.held).toBe(true);
  expect(posts.length).toBeGreaterThanOrEqual(2);
  expect(new Set(posts.map((c) => (c.body as { nonce: string }).nonce)).size).toBe(1);
  expect(await stack.db('activities').where({ group_id: w.groupId, type: 11 })).toHaveLength(1);
  expect(await stack.db('group_history').where({ group_id: w.groupId, status: 5 })).toHaveLength(1);
  expect(await stack.db('group_subscriptions').where({ group_id: w.groupId, reason: 2 })).toHaveLength(1);
  expect(await stack.db('group_assignees').where({ group_id: w.groupId })).toHaveLength(1);
  expect(await stack.db('outbound_messages')).toHaveLength(1);
  expect((await delivery(stack.db, sent.body.deliveryId)).status).toBe('applied');
});
