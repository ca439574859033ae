/**
 * The real Teams Connector client against the local Teams simulator (plain HTTP on 127.0.0.1): token cache,
 * single-flight refresh, 401 retry, paths and bodies, and how errors reach the activities.
 */
import type { ApplicationFailure } from '@temporalio/common';
import { createTeamsClient, type TeamsOutboundActivity } from '../../src/activities/msteams/client';
import { toFailure } from '../../src/activities/failures';
import { HttpError } from '../../src/http';
import { startTeamsSimulator, type TeamsSimulator } from '../support/teams-simulator';

const CONV = '19:abc;messageid=123@thread.tacv2';
let sim: TeamsSimulator;
let clock = 1_000_000;

beforeAll(async () => {
  sim = await startTeamsSimulator();
});
afterEach(() => {
  sim.reset();
  sim.setExpiresIn(3600);
});
afterAll(() => sim.close());

function client(overrides: { appPassword?: string } = {}) {
  return createTeamsClient({
    tokenUrl: sim.tokenUrl,
    appId: sim.appId,
    appPassword: overrides.appPassword ?? sim.appPassword,
    timeoutMs: 5_000,
    now: () => clock,
  });
}

const card: TeamsOutboundActivity = {
  type: 'message',
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'TypeError' }] },
    },
  ],
};

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err
  );
}

test('token fetched once and reused; refreshed 5 minutes before expiry', async () => {
  const teams = client();
  await teams.sendActivity(sim.baseUrl, CONV, card);
  await teams.sendActivity(sim.baseUrl + '/', CONV, card);
  expect(sim.tokensIssued).toBe(1);
  clock += (3600 - 5 * 60) * 1000 - 1;
  await teams.sendActivity(sim.baseUrl, CONV, card);
  expect(sim.tokensIssued).toBe(1);
  clock += 2;
  await teams.sendActivity(sim.baseUrl, CONV, card);
  expect(sim.tokensIssued).toBe(2);
  const tokenCall = sim.calls.find((c) => c.path === '/oauth2/token')!;
  const form = new URLSearchParams(tokenCall.raw ?? '');
  expect(form.get('grant_type')).toBe('client_credentials');
  expect(form.get('scope')).toBe('https://api.botframework.com/.default');
});

test('concurrent calls share one token fetch', async () => {
  const teams = client();
  await Promise.all([1, 2, 3, 4, 5].map(() => teams.sendActivity(sim.baseUrl, CONV, card)));
  expect(sim.tokensIssued).toBe(1);
  expect(sim.activities(CONV)).toHaveLength(5);
});

test('a Connector 401 drops the token and retries once', async () => {
  const teams = client();
  await teams.sendActivity(sim.baseUrl, CONV, card);
  sim.revokeTokens();
  const { id } = await teams.sendActivity(sim.baseUrl, CONV, card);
  expect(id).toBeTruthy();
  expect(sim.tokensIssued).toBe(2);
  // a persistent 401 is retried only once
  sim.failNext((c) => c.path.startsWith('/v3/'), 5, { status: 401, body: {} });
  const err = await rejectionOf(teams.sendActivity(sim.baseUrl, CONV, card));
  expect(err).toBeInstanceOf(HttpError);
  expect((err as HttpError).status).toBe(401);
  expect(sim.calls.filter((c) => c.injected)).toHaveLength(2);
});

test('send, reply, update, createConversation: encoded paths and bodies', async () => {
  const teams = client();
  const sent = await teams.sendActivity(sim.baseUrl, CONV, card);
  const reply = await teams.replyToActivity(sim.baseUrl, CONV, sent.id, { type: 'message', text: 'hi' });
  const updated: TeamsOutboundActivity = { ...card, id: sent.id };
  expect(await teams.updateActivity(sim.baseUrl, CONV, sent.id, updated)).toEqual({ id: sent.id });
  const enc = encodeURIComponent(CONV);
  const connector = sim.calls.filter((c) => c.path.startsWith('/v3/'));
  expect(connector.map((c) => `${c.method} ${c.path}`)).toEqual([
    `POST /v3/conversations/${enc}/activities`,
    `POST /v3/conversations/${enc}/activities/${sent.id}`,
    `PUT /v3/conversations/${enc}/activities/${sent.id}`,
  ]);
  expect(enc).toContain('%3A');
  expect(enc).toContain('%3B');
  const acts = sim.activities(CONV);
  expect(acts.find((a) => a.id === reply.id)?.replyToId).toBe(sent.id);
  expect(acts.find((a) => a.id === sent.id)?.body).toEqual(updated);
  expect(sim.puts()).toHaveLength(1);

  const conv = await teams.createConversation(sim.baseUrl, {
    bot: { id: '28:bot' },
    members: [{ id: '29:user' }],
    tenantId: 'tenant-1',
    isGroup: false,
  });
  expect(conv.id).toBeTruthy();
  expect(sim.conversation(conv.id)).toEqual({
    bot: { id: '28:bot' },
    members: [{ id: '29:user' }],
    tenantId: 'tenant-1',
    isGroup: false,
  });
});

test('429 with Retry-After becomes RateLimited with nextRetryDelay', async () => {
  const teams = client();
  sim.failNext((c) => c.path.startsWith('/v3/'), 1, { status: 429, headers: { 'retry-after': '7' }, body: {} });
  const err = await rejectionOf(teams.sendActivity(sim.baseUrl, CONV, card));
  expect(err).toBeInstanceOf(HttpError);
  expect((err as HttpError).retryAfter).toBe('7');
  const f = toFailure(err) as ApplicationFailure;
  expect(f.type).toBe('RateLimited');
  expect(f.nextRetryDelay).toBeDefined();
});

test('no secret or token in any error message', async () => {
  const bad = client({ appPassword: 'wrong-password-xyz' });
  const e1 = (await rejectionOf(bad.sendActivity(sim.baseUrl, CONV, card))) as Error;
  expect(e1).toBeInstanceOf(HttpError);
  expect(JSON.stringify({ m: e1.message, b: (e1 as HttpError).body })).not.toContain('wrong-password-xyz');
  const teams = client();
  sim.failNext((c) => c.path.startsWith('/v3/'), 1, { status: 500, body: {} });
  const e2 = (await rejectionOf(teams.sendActivity(sim.baseUrl, CONV, card))) as Error;
  expect(e2.message).not.toMatch(/sim-token|sim-app-password/);
  expect(e2.message).toBe('Teams send activity answered HTTP 500');
});
