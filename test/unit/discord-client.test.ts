/**
 * The real Discord client against the local Discord simulator (plain HTTP on 127.0.0.1, no outside
 * services): paths, auth headers, nonce dedupe, and how Discord's errors reach the activities.
 */
import { createDiscordClient, DiscordNonceError, type DiscordClient } from '../../src/activities/discord/client';
import { HttpError, NetworkError } from '../../src/http';
import { rateLimited, startDiscordSimulator, type DiscordSimulator } from '../support/discord-simulator';

const BOT_TOKEN = 'bot-token-good';
const APP_ID = '1089000000000000000';
const CHANNEL = '1011000000000000000';
const MESSAGE = '1129000000000000000';
const INTERACTION_TOKEN = 'aW50ZXJhY3Rpb246c2VjcmV0';

let sim: DiscordSimulator;
let discord: DiscordClient;

beforeAll(async () => {
  sim = await startDiscordSimulator({ botTokens: [BOT_TOKEN] });
  discord = createDiscordClient({ apiBaseUrl: sim.baseUrl, timeoutMs: 5_000 });
});
afterEach(() => sim.reset());
afterAll(() => sim.close());

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err
  );
}

const alertBody = {
  embeds: [{ title: 'TypeError: x is undefined', fields: [{ name: 'Assignee', value: 'Jane Doe', inline: true }] }],
  components: [
    {
      type: 1 as const,
      components: [{ type: 2 as const, style: 2 as const, custom_id: 'unresolve:7', label: 'Unresolve' }],
    },
  ],
};

describe('editChannelMessage', () => {
  it('PATCHes /channels/{channel}/messages/{message} as the bot and the message shows the new body', async () => {
    sim.seedMessage(CHANNEL, MESSAGE, { content: 'alert', embeds: [{ title: 'old' }] });

    const edited = await discord.editChannelMessage(BOT_TOKEN, CHANNEL, MESSAGE, alertBody);

    expect(edited.id).toBe(MESSAGE);
    const [call] = sim.calls;
    expect(call).toMatchObject({ method: 'PATCH', path: `/channels/${CHANNEL}/messages/${MESSAGE}`, status: 200 });
    expect(call?.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
    expect(call?.body).toEqual({ ...alertBody, allowed_mentions: { parse: [] } });
    const [stored] = sim.messages(CHANNEL);
    expect(stored).toMatchObject({
      id: MESSAGE,
      content: 'alert',
      embeds: alertBody.embeds,
      components: alertBody.components,
    });
  });

  it('rejects with HttpError 404 (Unknown Message, code 10008) when the message is gone', async () => {
    const err = await rejectionOf(discord.editChannelMessage(BOT_TOKEN, CHANNEL, '42', alertBody));

    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ system: 'Discord', status: 404, body: { message: 'Unknown Message', code: 10008 } });
  });
});

describe('createChannelMessage', () => {
  it('sends nonce with enforce_nonce, so the same post twice leaves one message', async () => {
    const body = { content: 'Assigned to Jane Doe from Jira APP-123', nonce: 'a1b2c3d4e5f60718293a4b5c6' };

    const first = await discord.createChannelMessage(BOT_TOKEN, CHANNEL, body);
    const second = await discord.createChannelMessage(BOT_TOKEN, CHANNEL, body);

    expect(second.id).toBe(first.id);
    expect(sim.messages(CHANNEL)).toHaveLength(1);
    expect(sim.calls).toHaveLength(2);
    for (const call of sim.calls) {
      expect(call).toMatchObject({ method: 'POST', path: `/channels/${CHANNEL}/messages` });
      expect(call.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
      expect(call.body).toMatchObject({ nonce: body.nonce, enforce_nonce: true, allowed_mentions: { parse: [] } });
    }
  });

  it('posts a second message for a different nonce', async () => {
    await discord.createChannelMessage(BOT_TOKEN, CHANNEL, { content: 'one', nonce: 'n-1' });
    await discord.createChannelMessage(BOT_TOKEN, CHANNEL, { content: 'two', nonce: 'n-2' });

    expect(sim.messages(CHANNEL).map((m) => m.content)).toEqual(['one', 'two']);
  });

  it.each(['', 'x'.repeat(26)])('refuses a nonce Discord would reject (%p) without calling Discord', async (nonce) => {
    const err = await rejectionOf(discord.createChannelMessage(BOT_TOKEN, CHANNEL, { content: 'x', nonce }));
    expect(err).toBeInstanceOf(DiscordNonceError);
    expect(err).toMatchObject({ name: 'DiscordNonceError', nonceLength: nonce.length, system: 'Discord' });
    expect(sim.calls).toHaveLength(0);
  });

  it('rejects a wrong bot token with HttpError 401 whose message does not contain the token', async () => {
    const err = await rejectionOf(
      discord.createChannelMessage('bot-token-wrong', CHANNEL, { content: 'x', nonce: 'n' })
    );

    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 401, body: { message: '401: Unauthorized', code: 0 } });
    expect(JSON.stringify({ message: (err as Error).message, what: (err as HttpError).what })).not.toContain(
      'bot-token'
    );
    expect(sim.messages(CHANNEL)).toHaveLength(0);
  });

  it('rejects a 429 with HttpError carrying Retry-After, and the retry posts exactly once', async () => {
    sim.failNext(1, rateLimited(0.5));

    const err = await rejectionOf(discord.createChannelMessage(BOT_TOKEN, CHANNEL, { content: 'x', nonce: 'n' }));

    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 429, retryAfter: '1', body: { retry_after: 0.5, global: false } });
    expect(sim.messages(CHANNEL)).toHaveLength(0);
    await discord.createChannelMessage(BOT_TOKEN, CHANNEL, { content: 'x', nonce: 'n' });
    expect(sim.messages(CHANNEL)).toHaveLength(1);
  });

  it('takes the wait from the JSON body when a 429 has no Retry-After header', async () => {
    sim.failNext(1, { status: 429, body: { message: 'You are being rate limited.', retry_after: 0.25, global: true } });

    const err = await rejectionOf(discord.createChannelMessage(BOT_TOKEN, CHANNEL, { content: 'x', nonce: 'n' }));

    expect(err).toMatchObject({ status: 429, retryAfter: '0.25' });
  });

  it('after Discord posted but the answer was lost, the retry with the same nonce returns that message', async () => {
    const impatient = createDiscordClient({ apiBaseUrl: sim.baseUrl, timeoutMs: 300 });
    const hold = sim.holdNext((call) => call.route === 'createMessage');

    const err = await rejectionOf(
      impatient.createChannelMessage(BOT_TOKEN, CHANNEL, { content: 'x', nonce: 'lost-answer' })
    );
    const heldCall = await hold.arrived;

    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ timedOut: true });
    expect(heldCall.held).toBe(true);
    const [posted] = sim.messages(CHANNEL);
    expect(posted).toBeDefined();
    const retried = await impatient.createChannelMessage(BOT_TOKEN, CHANNEL, { content: 'x', nonce: 'lost-answer' });
    expect(retried.id).toBe(posted?.id);
    expect(sim.messages(CHANNEL)).toHaveLength(1);
  });
});

describe('interaction webhooks', () => {
  it('edits @original without Authorization, which changes the message the buttons were on', async () => {
    sim.seedMessage(CHANNEL, MESSAGE, { embeds: [{ title: 'old' }] });
    sim.seedInteraction(INTERACTION_TOKEN, { applicationId: APP_ID, channelId: CHANNEL, messageId: MESSAGE });

    await discord.editOriginalInteractionResponse(APP_ID, INTERACTION_TOKEN, alertBody);

    const [call] = sim.calls;
    expect(call).toMatchObject({
      method: 'PATCH',
      path: `/webhooks/${APP_ID}/${INTERACTION_TOKEN}/messages/@original`,
    });
    expect(call?.headers.authorization).toBeUndefined();
    expect(sim.messages(CHANNEL)[0]?.components).toEqual(alertBody.components);
    expect(sim.interaction(INTERACTION_TOKEN)?.originalEdits).toHaveLength(1);
  });

  it('posts an ephemeral follow-up to /webhooks/{application}/{token} without Authorization', async () => {
    const created = await discord.createFollowupMessage(APP_ID, INTERACTION_TOKEN, {
      content: 'Assigned to #backend',
      flags: 64,
    });

    const [call] = sim.calls;
    expect(call).toMatchObject({ method: 'POST', path: `/webhooks/${APP_ID}/${INTERACTION_TOKEN}` });
    expect(call?.headers.authorization).toBeUndefined();
    expect(sim.interaction(INTERACTION_TOKEN)?.followups).toEqual([
      expect.objectContaining({ id: created.id, content: 'Assigned to #backend', flags: 64 }),
    ]);
  });

  it('rejects an expired interaction token with HttpError 401 whose message does not contain the token', async () => {
    sim.expireInteraction(INTERACTION_TOKEN);

    const err = await rejectionOf(discord.createFollowupMessage(APP_ID, INTERACTION_TOKEN, { content: 'x' }));

    expect(err).toMatchObject({ status: 401, body: { code: 50027 } });
    expect((err as Error).message).toBe('Discord create interaction follow-up answered HTTP 401');
    expect((err as HttpError).what).not.toContain(INTERACTION_TOKEN);
  });
});
