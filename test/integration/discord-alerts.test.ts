/**
 * Posting a group's alert to a Discord channel (`POST /api/groups/:id/alerts` → `postDiscordAlert`): one bot
 * message with the same embed and buttons every later refresh renders, one chat_messages row, one message per
 * Idempotency-Key; 404s before anything starts; and a later change refreshes the posted message in place.
 */
import { loadGroupView } from '../../src/activities/tracker/group-view';
import { buildAlertMessage } from '../../src/activities/discord/messages';
import * as fx from '../support/fixtures';
import type { DiscordSimulator } from '../support/discord-simulator';
import { startDiscordSimulator } from '../support/discord-simulator';
import { recordHistory } from '../support/jira-world';
import { api } from '../support/outbound-world';
import type { Stack } from '../support/stack';
import { startStack, truncateAll } from '../support/stack';

const BOT_TOKEN = 'discord-bot-token-for-alerts';
const CHANNEL = '1100000000000000042';

let stack: Stack;
let discord: DiscordSimulator;

beforeAll(async () => {
  discord = await startDiscordSimulator({ botTokens: [BOT_TOKEN] });
  stack = await startStack({ discordApiBaseUrl: discord.baseUrl });
});
afterAll(async () => {
  await stack?.stop();
  await discord?.close();
});

let orgId: number;
let groupId: number;
let discordId: number;
let aliceId: number;

beforeEach(async () => {
  discord.reset();
  await truncateAll(stack.db);
  orgId = await fx.insertOrg(stack.db, 'acme');
  const projectId = await fx.insertProject(stack.db, orgId, 'backend', true);
  groupId = await fx.insertGroup(stack.db, projectId, { shortId: 42, title: 'TypeError: x_y is undefined' });
  aliceId = await fx.insertUser(stack.db, { username: 'alice', name: 'Alice Smith' });
  await fx.addMember(stack.db, orgId, aliceId);
  discordId = await fx.insertDiscordIntegration(stack.db, {
    guildId: 'guild-alerts',
    applicationId: 'app-1',
    botToken: BOT_TOKEN,
  });
  await fx.installIntegration(stack.db, orgId, discordId);
});

let keys = 0;
const newKey = () => `alert-test-${Date.now()}-${keys++}`;
const postAlert = (body: unknown, key = newKey(), group = groupId) =>
  api(stack.api, 'POST', `/api/groups/${group}/alerts`, body, { 'idempotency-key': key });

async function expectedMessage() {
  const view = (await loadGroupView(stack.db, groupId))!;
  return buildAlertMessage({
    ...view,
    assignee: view.assignee ? { type: view.assignee.type, name: view.assignee.name } : null,
  });
}

test('posts one alert whose embed and buttons match the group, and records the message', async () => {
  await stack
    .db('group_assignees')
    .insert({ project_id: (await stack.db('groups').first()).project_id, group_id: groupId, user_id: aliceId });
  const key = newKey();
  const res = await postAlert({ integrationId: discordId, channelId: CHANNEL }, key);
  expect(res.status).toBe(201);
  expect(res.body).toEqual({
    chatMessageId: expect.any(Number),
    messageId: expect.any(String),
    workflowId: `alert-${key}`,
  });

  const posted = discord.messages(CHANNEL);
  expect(posted).toHaveLength(1);
  const expected = await expectedMessage();
  expect(posted[0]!.id).toBe(res.body.messageId);
  expect(posted[0]!.embeds).toEqual(expected.embeds);
  expect(posted[0]!.components).toEqual(expected.components);
  expect(JSON.stringify(posted[0]!.components)).toContain(`resolve_dialog:${groupId}`);
  expect(JSON.stringify(posted[0]!.embeds)).toContain('Alice Smith');
  expect(JSON.stringify(posted[0]!.embeds)).toContain('BACKEND-');
  const create = discord.calls.filter((c) => c.route === 'createMessage');
  expect(create).toHaveLength(1);
  expect(create[0]!.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
  expect(create[0]!.body).toMatchObject({ enforce_nonce: true, nonce: expect.any(String) });

  const rows = await stack.db('chat_messages');
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    id: String(res.body.chatMessageId),
    group_id: String(groupId),
    integration_id: String(discordId),
    provider: 'discord',
    channel_id: CHANNEL,
    message_id: res.body.messageId,
  });
  expect(await stack.db('outbound_messages').where('idempotency_key', `alert:${key}`)).toHaveLength(1);

  const desc = await stack.client.workflow.getHandle(`alert-${key}`).describe();
  expect(desc.type).toBe('postDiscordAlert');
  expect(desc.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
    expect.arrayContaining([
      ['Provider', 'discord'],
      ['IntegrationId', String(discordId)],
      ['GroupIds', [String(groupId)]],
      ['Outcome', 'applied'],
    ])
  );
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, `alert-${key}`, 'posted');
});

test('the same Idempotency-Key again gives the same answer and one Discord message', async () => {
  const key = newKey();
  const first = await postAlert({ integrationId: discordId, channelId: CHANNEL }, key);
  const again = await postAlert({ integrationId: discordId, channelId: CHANNEL }, key);
  expect(first.status).toBe(201);
  expect(again.status).toBe(201);
  expect(again.body).toEqual(first.body);
  expect(discord.messages(CHANNEL)).toHaveLength(1);
  expect(discord.calls.filter((c) => c.route === 'createMessage')).toHaveLength(1);
  expect(await stack.db('chat_messages')).toHaveLength(1);
});

test('404 before anything starts: integration not installed, another provider, or no such group', async () => {
  await stack.db('organization_integrations').where({ integration_id: discordId }).update({ status: 'disabled' });
  const notInstalled = await postAlert({ integrationId: discordId, channelId: CHANNEL });
  expect(notInstalled.status).toBe(404);
  expect(notInstalled.body.error.message).toContain('not installed');
  await stack.db('organization_integrations').where({ integration_id: discordId }).delete();
  expect((await postAlert({ integrationId: discordId, channelId: CHANNEL })).status).toBe(404);

  const otherOrg = await fx.insertOrg(stack.db, 'other');
  await fx.installIntegration(stack.db, otherOrg, discordId);
  expect((await postAlert({ integrationId: discordId, channelId: CHANNEL })).status).toBe(404);

  const jiraId = await fx.insertJiraIntegration(stack.db, { clientKey: 'ck', sharedSecret: 's', baseUrl: 'http://x' });
  await fx.installIntegration(stack.db, orgId, jiraId);
  expect((await postAlert({ integrationId: jiraId, channelId: CHANNEL })).status).toBe(404);

  await fx.installIntegration(stack.db, orgId, discordId);
  const missing = await postAlert({ integrationId: discordId, channelId: CHANNEL }, newKey(), groupId + 1000);
  expect(missing.status).toBe(404);
  expect(missing.body.error.message).toContain('not found');

  expect(discord.calls).toHaveLength(0);
  expect(await stack.db('chat_messages')).toHaveLength(0);
});

test('400 for a bad body, and for a Teams integration given a Discord channelId (or no conversationId)', async () => {
  expect((await postAlert({ integrationId: discordId })).status).toBe(400);
  expect((await postAlert({ integrationId: discordId, channelId: 'general' })).status).toBe(400);
  expect((await postAlert({ channelId: CHANNEL })).status).toBe(400);
  expect((await postAlert({ integrationId: discordId, channelId: CHANNEL, extra: 1 })).status).toBe(400);
  const teamsId = Number(
    (
      await stack
        .db('integrations')
        .insert({ provider: 'msteams', external_id: 'team-1', name: 'Teams', metadata: {} })
        .returning('id')
    )[0].id
  );
  await fx.installIntegration(stack.db, orgId, teamsId);
  const teams = await postAlert({ integrationId: teamsId, channelId: CHANNEL });
  expect(teams.status).toBe(400);
  expect(teams.body.error.message).toContain('channelId: only for Discord; give conversationId');
  const none = await postAlert({ integrationId: teamsId });
  expect(none.status).toBe(400);
  expect(none.body.error.message).toContain('conversationId: required for a Teams integration');
  expect(discord.calls).toHaveLength(0);
});

test('Discord refusing the post (wrong bot token) is a 502 naming the reason; nothing is recorded', async () => {
  await stack
    .db('integrations')
    .where('id', discordId)
    .update({ metadata: { application_id: 'app-1', public_key_hex: '00'.repeat(32), bot_token: 'wrong-token' } });
  const res = await postAlert({ integrationId: discordId, channelId: CHANNEL });
  expect(res.status).toBe(502);
  expect(res.body.error.name).toBe('ChatPostFailed');
  expect(res.body.error.message).toMatch(/401|nauthori/);
  expect(JSON.stringify(res.body)).not.toContain('wrong-token');
  expect(await stack.db('chat_messages')).toHaveLength(0);
});

test('a later change through PUT /api/groups/:id refreshes the posted message in place', async () => {
  const posted = await postAlert({ integrationId: discordId, channelId: CHANNEL });
  expect(posted.status).toBe(201);
  const messageId = posted.body.messageId as string;
  const put = await api(
    stack.api,
    'PUT',
    `/api/groups/${groupId}`,
    { status: 'resolved' },
    { 'idempotency-key': newKey() }
  );
  expect(put.status).toBe(200);
  const edits = discord.calls.filter((c) => c.route === 'editMessage');
  expect(edits).toHaveLength(1);
  expect(edits[0]!.method).toBe('PATCH');
  expect(edits[0]!.url).toBe(`/api/v10/channels/${CHANNEL}/messages/${messageId}`);
  const alert = discord.messages(CHANNEL).find((m) => m.id === messageId)!;
  const expected = await expectedMessage();
  expect(alert.components).toEqual(expected.components);
  expect(alert.embeds).toEqual(expected.embeds);
  expect(JSON.stringify(alert.components)).toContain(`unresolve:${groupId}`);
});
