/**
 * Linking chat identities: the `/link/<token>` page, `POST /api/identity-links`, listing and unlinking, and the
 * signal to the run that asked for the link (recorded in that run's history; the run needs no worker).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { createLinkToken, LINK_TOKEN_TTL_MS } from '../../src/domain/link-token';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import * as fx from '../support/fixtures';
import { api } from '../support/outbound-world';
import type { Stack } from '../support/stack';
import { API_TOKEN, startStack, truncateAll } from '../support/stack';

const SECRET = 'identity-links-test-secret-0123456789abcdef';
const GUILD = '900000000000000001';
const CHAT_USER = '800000000000000001';

let stack: Stack;
let base: string;
let server: Server;

/** The stack's app has no LINK_SECRET: this file runs its own, over the same database and Temporal. */
async function listen(temporal: Client, linkSecret: string | undefined): Promise<{ server: Server; url: string }> {
  const app = createApp({
    db: stack.db,
    cache: stack.cache,
    temporal,
    taskQueue: stack.config.temporal.taskQueue,
    apiToken: API_TOKEN,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    linkSecret,
  });
  const s: Server = await new Promise((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  return { server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}
const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

beforeAll(async () => {
  stack = await startStack({ worker: false });
  ({ server, url: base } = await listen(stack.client, SECRET));
});
afterAll(async () => {
  if (server) await close(server);
  await stack?.stop();
});

let integrationId: number;
let alice: number;
let bob: number;

beforeEach(async () => {
  await truncateAll(stack.db);
  integrationId = await fx.insertDiscordIntegration(stack.db, {
    guildId: GUILD,
    applicationId: 'app-1',
    botToken: 'x',
  });
  await stack.db('integrations').where('id', integrationId).update({ name: 'Acme <script>alert(1)</script> & Co' });
  alice = await fx.insertUser(stack.db, { username: 'alice', name: 'Alice' });
  bob = await fx.insertUser(stack.db, { username: 'bob', name: 'Bob' });
});

const token = (o: { chatUserId?: string; workflowId?: string; nowMs?: number; secret?: string } = {}) =>
  createLinkToken(
    {
      provider: 'discord',
      integrationId,
      chatUserId: o.chatUserId ?? CHAT_USER,
      ...(o.workflowId ? { workflowId: o.workflowId } : {}),
    },
    o.secret ?? SECRET,
    o.nowMs
  );
const link = (body: unknown, url = base) => api(url, 'POST', '/api/identity-links', body);

describe('GET /link/<token>', () => {
  test('shows what will be linked, escaped, without a bearer token', async () => {
    const t = token({ chatUserId: '<b>8</b>' });
    const res = await fetch(`${base}/link/${t}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('Link your Discord account');
    expect(html).toContain('Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;b&gt;8&lt;/b&gt;');
    expect(html).not.toContain('<b>8</b>');
    expect(html).toContain('POST /api/identity-links');
    expect(html).toContain(t);
    expect(await stack.db('identities')).toHaveLength(0);
  });

  test.each([
    ['expired', () => token({ nowMs: Date.now() - LINK_TOKEN_TTL_MS - 1 }), 'expired'],
    ['signed with another secret', () => token({ secret: 'another-secret-another-secret-00' }), 'not valid'],
    ['malformed', () => 'not-a-token', 'not valid'],
  ])('a %s link is a 400 page', async (_what, make, words) => {
    const res = await fetch(`${base}/link/${make()}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('This link cannot be used');
    expect(html).toContain(words);
  });

  test('a link whose integration is gone is a 400 page', async () => {
    const t = token();
    await stack.db('integrations').where('id', integrationId).delete();
    expect((await fetch(`${base}/link/${t}`)).status).toBe(400);
  });

  test('without LINK_SECRET the page says linking is unavailable (503)', async () => {
    const other = await listen(stack.client, undefined);
    try {
      const res = await fetch(`${other.url}/link/${token()}`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('unavailable');
      expect((await link({ token: token(), userId: alice }, other.url)).status).toBe(503);
    } finally {
      await close(other.server);
    }
  });
});

describe('POST /api/identity-links', () => {
  test('links, lists and unlinks; the identity provider is the guild', async () => {
    const res = await link({ token: token(), userId: alice });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      identity: { id: expect.any(Number), provider: 'discord', integrationId, chatUserId: CHAT_USER, userId: alice },
      signalled: false,
      note: 'the link names no waiting run',
    });
    const idp = await stack.db('identity_providers').first();
    expect(idp).toMatchObject({ type: 'discord', external_id: GUILD });
    const row = await stack.db('identities').where('id', res.body.identity.id).first();
    expect(row).toMatchObject({ idp_id: idp.id, user_id: String(alice), external_id: CHAT_USER, status: 1 });

    const listed = await api(base, 'GET', `/api/identities?userId=${alice}`);
    expect(listed.status).toBe(200);
    expect(listed.body.identities).toEqual([
      {
        id: res.body.identity.id,
        provider: 'discord',
        integrationId,
        chatUserId: CHAT_USER,
        userId: alice,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    expect((await api(base, 'GET', `/api/identities?userId=${bob}`)).body.identities).toEqual([]);

    expect((await api(base, 'DELETE', `/api/identities/${res.body.identity.id}`)).status).toBe(204);
    expect((await api(base, 'DELETE', `/api/identities/${res.body.identity.id}`)).status).toBe(404);
    expect((await api(base, 'GET', `/api/identities?userId=${alice}`)).body.identities).toEqual([]);
    // Unlinked, the chat user may link to someone else.
    expect((await link({ token: token(), userId: bob })).status).toBe(201);
  });

  test('the same pair again is 200 with the same identity (idempotent)', async () => {
    const first = await link({ token: token(), userId: alice });
    const again = await link({ token: token(), userId: alice });
    expect(again.status).toBe(200);
    expect(again.body.identity).toEqual(first.body.identity);
    expect(await stack.db('identities')).toHaveLength(1);
    expect(await stack.db('identity_providers')).toHaveLength(1);
  });

  test('409 when the chat user is linked to another user, or the user to another chat user', async () => {
    expect((await link({ token: token(), userId: alice })).status).toBe(201);
    const taken = await link({ token: token(), userId: bob });
    expect(taken.status).toBe(409);
    expect(taken.body.error.name).toBe('ConflictError');
    const second = await link({ token: token({ chatUserId: '800000000000000002' }), userId: alice });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain('already linked to another account');
    expect(await stack.db('identities')).toHaveLength(1);
  });

  test('two links at the same moment for one chat user: one wins, one 409', async () => {
    const [a, b] = await Promise.all([link({ token: token(), userId: alice }), link({ token: token(), userId: bob })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect(await stack.db('identities')).toHaveLength(1);
  });

  test('bad, expired or foreign tokens are 400; nothing is written', async () => {
    for (const t of [
      'garbage',
      token({ nowMs: Date.now() - LINK_TOKEN_TTL_MS - 1 }),
      token({ secret: 'another-secret-another-secret-00' }),
    ]) {
      const res = await link({ token: t, userId: alice });
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
    }
    expect((await link({ userId: alice })).status).toBe(400);
    expect(await stack.db('identities')).toHaveLength(0);
  });

  test('an unknown user is 404, an inactive one 400', async () => {
    expect((await link({ token: token(), userId: 999_999_999 })).status).toBe(404);
    const carol = await fx.insertUser(stack.db, { username: 'carol', name: 'Carol', active: false });
    const res = await link({ token: token(), userId: carol });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('not active');
    expect(await stack.db('identities')).toHaveLength(0);
  });

  test('needs the bearer token', async () => {
    const res = await fetch(`${base}/api/identity-links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: token(), userId: alice }),
    });
    expect(res.status).toBe(401);
  });

  test('a token naming a run that does not exist still links (signalled: false)', async () => {
    const res = await link({ token: token({ workflowId: `discord-gone-${randomUUID()}` }), userId: alice });
    expect(res.status).toBe(201);
    expect(res.body.signalled).toBe(false);
    expect(res.body.note).toContain('already ended');
  });

  test('the run named in the token receives identityLinked with the user id', async () => {
    // A run on a task queue no worker polls: it stays running, and a signal is recorded in its history.
    const workflowId = `discord-waiting-${randomUUID()}`;
    const handle = await stack.client.workflow.start('discordInteraction', {
      taskQueue: `no-worker-${randomUUID()}`,
      workflowId,
      args: [],
    });
    try {
      const res = await link({ token: token({ workflowId }), userId: alice });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ signalled: true });
      expect(res.body.note).toBeUndefined();
      const history = await handle.fetchHistory();
      const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
      expect(signals).toHaveLength(1);
      const attrs = signals[0]!.workflowExecutionSignaledEventAttributes!;
      expect(attrs.signalName).toBe('identityLinked');
      const payload = attrs.input!.payloads![0]!;
      expect(JSON.parse(Buffer.from(payload.data!).toString('utf8'))).toEqual({ userId: alice });
    } finally {
      await handle.terminate('test done');
    }
  });

  test('Temporal unreachable: the link is written and the answer says signalled: false', async () => {
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) });
    const other = await listen(dead, SECRET);
    try {
      const res = await link({ token: token({ workflowId: 'discord-somewhere' }), userId: alice }, other.url);
      expect(res.status).toBe(201);
      expect(res.body.signalled).toBe(false);
      expect(res.body.note).toContain('could not be reached');
      expect(await stack.db('identities')).toHaveLength(1);
    } finally {
      await close(other.server);
    }
  });
});

describe('GET /api/identities', () => {
  test('needs a valid userId; an unknown user is 404', async () => {
    expect((await api(base, 'GET', '/api/identities')).status).toBe(400);
    expect((await api(base, 'GET', '/api/identities?userId=abc')).status).toBe(400);
    expect((await api(base, 'GET', '/api/identities?userId=999999999')).status).toBe(404);
    expect((await api(base, 'DELETE', '/api/identities/abc')).status).toBe(400);
  });
});
