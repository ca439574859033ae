/**
 * POST /webhooks/discord/interactions against real Postgres and the real dev server (no worker: these tests
 * check what the API answers, stores and starts; the discordInteraction run itself is tested elsewhere).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { EXPIRED_REASON, PUMP_LOCK_KEY, startPump } from '../../src/api/pump';
import type { Starter } from '../../src/api/temporal-start';
import { createStarter } from '../../src/api/temporal-start';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { componentInteraction, createDiscordSigner, nextSnowflake } from '../support/discord-signing';
import {
  addMember,
  insertDiscordIntegration,
  insertGroup,
  insertOrg,
  insertProject,
  insertTeam,
  insertUser,
  installIntegration,
} from '../support/fixtures';
import type { Stack } from '../support/stack';
import { startStack, truncateAll } from '../support/stack';

const APP_ID = '1089000000000000000';
const GUILD = '808000000000000000';
const signer = createDiscordSigner();
const logger = createLogger('silent');

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.stop();
});

interface World {
  orgId: number;
  projectId: number;
  integrationId: number;
  groupId: number;
}
let world: World;

async function seed(o: { hasReleases?: boolean } = {}): Promise<World> {
  const orgId = await insertOrg(stack.db, 'acme');
  const projectId = await insertProject(stack.db, orgId, 'web', o.hasReleases ?? false);
  const integrationId = await insertDiscordIntegration(stack.db, {
    guildId: GUILD,
    applicationId: APP_ID,
    botToken: 'bot-token',
    publicKeyHex: signer.publicKeyHex,
  });
  await installIntegration(stack.db, orgId, integrationId);
  const groupId = await insertGroup(stack.db, projectId);
  return { orgId, projectId, integrationId, groupId };
}

beforeEach(async () => {
  await truncateAll(stack.db);
  world = await seed();
});

async function post(
  api: string,
  body: unknown,
  headers: Record<string, string> = signer.headers(JSON.stringify(body))
): Promise<{ status: number; json: any; ms: number }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const t0 = performance.now();
  const res = await fetch(`${api}/webhooks/discord/interactions`, { method: 'POST', headers, body: text });
  const json = await res.json().catch(() => null);
  return { status: res.status, json, ms: performance.now() - t0 };
}

const click = (
  customId: string,
  over: Parameters<typeof componentInteraction>[0] extends infer T ? Partial<T> : never = {}
) => componentInteraction({ applicationId: APP_ID, guildId: GUILD, customId, ...over });

async function counts(): Promise<{ deliveries: number; interactions: number }> {
  const [d] = await stack.db('webhook_deliveries').count({ n: '*' });
  const [i] = await stack.db('discord_interactions').count({ n: '*' });
  return { deliveries: Number(d!.n), interactions: Number(i!.n) };
}

async function waitForRun(workflowId: string, ms = 5_000) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await stack.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The API with a Temporal client that cannot reach anything (127.0.0.1:9). */
async function appWithTemporalDown(): Promise<{ api: string; close(): Promise<void> }> {
  const connection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 500, interceptors: [] });
  const metrics = createMetrics();
  const app = createApp({
    db: stack.db,
    cache: stack.cache,
    temporal: new Client({ connection }),
    taskQueue: stack.config.temporal.taskQueue,
    apiToken: 'x',
    logger,
    metrics,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const accepted = async () => (await metrics.deliveries.get()).values.find((v) => v.labels.result === 'accepted');
  const unavailable = async () =>
    (await metrics.deliveries.get()).values.find((v) => v.labels.result === 'unavailable')?.value ?? 0;
  return {
    api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Closing the channel while a start is still retrying makes the SDK throw from a timer: wait until every
      // background start has given up (each is bounded by its deadline).
      const until = Date.now() + 5_000;
      while ((await unavailable()) < ((await accepted())?.value ?? 0) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      await connection.close();
    },
  };
}

describe('signatures', () => {
  test('When the signature is bad, missing, malformed, stale, from the future or for an unknown application, Then 401 and nothing stored', async () => {
    const other = createDiscordSigner();
    // Integrations whose stored keys are malformed: wrong length, not hex.
    await insertDiscordIntegration(stack.db, {
      guildId: '1',
      applicationId: '2001',
      botToken: 't',
      publicKeyHex: signer.publicKeyHex.slice(2),
    });
    await insertDiscordIntegration(stack.db, {
      guildId: '2',
      applicationId: '2002',
      botToken: 't',
      publicKeyHex: 'zz'.repeat(32),
    });
    const body = click(`archive:${world.groupId}`);
    const text = JSON.stringify(body);
    const good = signer.headers(text);
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, unknown, Record<string, string>]> = [
      ['signed by another key', body, other.headers(text)],
      ['signature over another body', body, signer.headers(JSON.stringify({ ...body, id: '1' }))],
      ['no signature header', body, { 'content-type': 'application/json', 'x-signature-timestamp': String(now) }],
      [
        'no timestamp header',
        body,
        { 'content-type': 'application/json', 'x-signature-ed25519': good['x-signature-ed25519']! },
      ],
      ['signature not hex', body, { ...good, 'x-signature-ed25519': 'zz'.repeat(64) }],
      ['signature 63 bytes', body, { ...good, 'x-signature-ed25519': good['x-signature-ed25519']!.slice(2) }],
      ['signature 65 bytes', body, { ...good, 'x-signature-ed25519': `${good['x-signature-ed25519']}00` }],
      ['timestamp 6 minutes old', body, signer.headers(text, now - 360)],
      ['timestamp 6 minutes ahead', body, signer.headers(text, now + 360)],
      [
        'unknown application',
        { ...body, application_id: '999' },
        signer.headers(JSON.stringify({ ...body, application_id: '999' })),
      ],
      [
        'stored key of the wrong length',
        { ...body, application_id: '2001' },
        signer.headers(JSON.stringify({ ...body, application_id: '2001' })),
      ],
      [
        'stored key not hex',
        { ...body, application_id: '2002' },
        signer.headers(JSON.stringify({ ...body, application_id: '2002' })),
      ],
      ['body not JSON', 'not json', signer.headers('not json')],
      [
        'PING with a bad signature',
        { id: '1', application_id: APP_ID, type: 1 },
        other.headers(JSON.stringify({ id: '1', application_id: APP_ID, type: 1 })),
      ],
    ];
    for (const [name, b, headers] of cases) {
      const res = await post(stack.api, b, headers);
      expect({ name, status: res.status, error: res.json?.error?.name }).toEqual({
        name,
        status: 401,
        error: 'SignatureError',
      });
      expect(typeof res.json.error.message).toBe('string');
    }
    expect(await counts()).toEqual({ deliveries: 0, interactions: 0 });
  });

  test('When the body is larger than 1 MiB, Then 413', async () => {
    const big = JSON.stringify({ application_id: APP_ID, pad: 'x'.repeat(1_100_000) });
    const res = await post(stack.api, big, signer.headers(big));
    expect(res.status).toBe(413);
  });
});

describe('inline answers', () => {
  test('When Discord sends PING, Then {type: 1} and nothing stored', async () => {
    const ping = { id: nextSnowflake(), application_id: APP_ID, type: 1 };
    const res = await post(stack.api, ping);
    expect(res).toMatchObject({ status: 200, json: { type: 1 } });
    expect(await counts()).toEqual({ deliveries: 0, interactions: 0 });
  });

  test('When the assign dialog opens for a project with 30 members, Then 25 options: Unassign, the team, members; the placeholder says it was cut', async () => {
    const teamId = await insertTeam(stack.db, world.orgId, 'backend', [world.projectId]);
    const otherProject = await insertProject(stack.db, world.orgId, 'other');
    const outsideTeam = await insertTeam(stack.db, world.orgId, 'outside', [otherProject]);
    for (let i = 0; i < 30; i++) {
      const userId = await insertUser(stack.db, { username: `u${i}`, name: `Member ${String(i).padStart(2, '0')}` });
      await addMember(stack.db, world.orgId, userId, [teamId]);
    }
    // Not offered: an inactive member, and a member who reaches the project through no team.
    const inactive = await insertUser(stack.db, { username: 'gone', name: 'AAA Gone', active: false });
    await addMember(stack.db, world.orgId, inactive, [teamId]);
    const elsewhere = await insertUser(stack.db, { username: 'else', name: 'AAA Elsewhere' });
    await addMember(stack.db, world.orgId, elsewhere, [outsideTeam]);

    const res = await post(stack.api, click(`assign_dialog:${world.groupId}`));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ type: 4, data: { flags: 64 } });
    const select = res.json.data.components[0].components[0];
    expect(select.custom_id).toBe(`assign:${world.groupId}`);
    expect(select.options).toHaveLength(25);
    expect(select.options[0]).toMatchObject({ label: 'Unassign', value: 'none' });
    expect(select.options[1]).toMatchObject({ label: '#backend', value: `team:${teamId}` });
    expect(select.options[2].label).toBe('Member 00');
    expect(select.options.map((o: { label: string }) => o.label)).not.toContain('AAA Gone');
    expect(select.options.map((o: { label: string }) => o.label)).not.toContain('#outside');
    expect(select.placeholder).toBe('Select assignee (first 24 of 31 shown)');
    expect(await counts()).toEqual({ deliveries: 0, interactions: 0 });
  });

  test('When the resolve dialog opens, Then the release targets only when the project has releases', async () => {
    const values = async (groupId: number) => {
      const res = await post(stack.api, click(`resolve_dialog:${groupId}`));
      expect(res.json).toMatchObject({ type: 4, data: { flags: 64 } });
      const select = res.json.data.components[0].components[0];
      expect(select.custom_id).toBe(`resolve:${groupId}`);
      return select.options.map((o: { value: string }) => o.value);
    };
    expect(await values(world.groupId)).toEqual(['immediately']);
    const withReleases = await insertProject(stack.db, world.orgId, 'released', true);
    const g = await insertGroup(stack.db, withReleases);
    expect(await values(g)).toEqual(['immediately', 'inNextRelease', 'inCurrentRelease']);
  });

  test('When the custom_id is unknown, the group id not a number, the group unknown or elsewhere, or the guild not connected, Then an ephemeral message saying so (200)', async () => {
    const foreignOrg = await insertOrg(stack.db, 'foreign');
    const foreignGroup = await insertGroup(stack.db, await insertProject(stack.db, foreignOrg, 'f'));
    const cases: Array<[unknown, RegExp]> = [
      [click(`explode:${world.groupId}`), /not one issue-sync knows/],
      [click('archive:abc'), /not a number/],
      [click('assign_dialog:'), /not a number/],
      [click(`assign:${world.groupId}`, { values: ['someone'] }), /choice/],
      [click('archive:987654321'), /not found/],
      [click(`assign_dialog:${foreignGroup}`), /not found/],
      [click(`archive:${world.groupId}`, { guildId: '555' }), /not connected/],
      [click(`archive:${world.groupId}`, { guildId: null }), /not connected/],
    ];
    for (const [body, text] of cases) {
      const res = await post(stack.api, body);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ type: 4, data: { flags: 64 } });
      expect(res.json.data.content).toMatch(text);
    }
    expect(await counts()).toEqual({ deliveries: 0, interactions: 0 });
  });
});

describe('state changes', () => {
  test('When a resolve is clicked, Then {type: 6}, one delivery, the token row, and discord-<interaction id> runs', async () => {
    const body = click(`resolve:${world.groupId}`, { values: ['immediately'], messageFlags: 64 });
    const res = await post(stack.api, body);
    expect(res).toMatchObject({ status: 200, json: { type: 6 } });
    const id = String(body.id);
    const delivery = await stack.db('webhook_deliveries').where({ provider: 'discord', delivery_key: id }).first();
    expect(delivery).toMatchObject({
      integration_id: String(world.integrationId),
      workflow_id: `discord-${world.integrationId}-${id}`,
      status: 'accepted',
    });
    expect(delivery.run).toMatchObject({
      workflowType: 'discordInteraction',
      input: {
        deliveryKey: id,
        integrationId: world.integrationId,
        guildId: GUILD,
        chatUserId: '223300000000000000',
        chatUserName: 'jane',
        groupId: world.groupId,
        action: { kind: 'resolve', value: 'immediately' },
      },
      labels: { provider: 'discord', integrationId: world.integrationId, groupIds: [world.groupId] },
    });
    expect(JSON.stringify(delivery.run)).not.toContain(String(body.token));
    const token = await stack.db('discord_interactions').where({ interaction_id: id }).first();
    expect(token).toMatchObject({
      integration_id: String(world.integrationId),
      application_id: APP_ID,
      token: body.token,
      channel_id: '1011000000000000000',
      message_id: '1129000000000000000',
      message_ephemeral: true,
    });
    expect(new Date(token.expires_at).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    const run = await waitForRun(`discord-${world.integrationId}-${id}`);
    expect(run.type).toBe('discordInteraction');
    // The stamp says Temporal has it, so the pump leaves it alone.
    const until = Date.now() + 3_000;
    while (!(await stack.db('webhook_deliveries').where('id', delivery.id).first()).run.startedAt && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect((await stack.db('webhook_deliveries').where('id', delivery.id).first()).run.startedAt).toBeTruthy();
  });

  test('When 20 clicks arrive at once, Then every run is started and every row stamped (stamps go in coalesced updates)', async () => {
    const bodies = Array.from({ length: 20 }, () => click(`archive:${world.groupId}`));
    const answers = await Promise.all(bodies.map((b) => post(stack.api, b)));
    expect(answers.map((a) => a.json)).toEqual(bodies.map(() => ({ type: 6 })));
    const keys = bodies.map((b) => String(b.id));
    const unstamped = async () =>
      Number(
        (
          await stack
            .db('webhook_deliveries')
            .whereIn('delivery_key', keys)
            .whereRaw("run->>'startedAt' is null")
            .count({ n: '*' })
        )[0]!.n
      );
    const until = Date.now() + 10_000;
    while ((await unstamped()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await unstamped()).toBe(0);
    for (const k of keys)
      expect((await waitForRun(`discord-${world.integrationId}-${k}`)).type).toBe('discordInteraction');
  });

  test('When the same interaction arrives twice, Then the same answer, one row each, one run', async () => {
    const body = click(`assign:${world.groupId}`, { values: ['none'] });
    expect((await post(stack.api, body)).json).toEqual({ type: 6 });
    const first = await waitForRun(`discord-${world.integrationId}-${String(body.id)}`);
    expect((await post(stack.api, body)).json).toEqual({ type: 6 });
    expect(await counts()).toEqual({ deliveries: 1, interactions: 1 });
    expect((await stack.db('webhook_deliveries').first()).attempts).toBe(2);
    const again = await stack.client.workflow.getHandle(`discord-${world.integrationId}-${String(body.id)}`).describe();
    expect(again.runId).toBe(first.runId);
  });

  test('When Temporal is unreachable, Then {type: 6} within 1.5 s and the row waits, accepted; the pump starts it once Temporal answers', async () => {
    const down = await appWithTemporalDown();
    let id: string;
    try {
      const body = click(`archive:${world.groupId}`);
      id = String(body.id);
      const res = await post(down.api, body);
      expect(res).toMatchObject({ status: 200, json: { type: 6 } });
      expect(res.ms).toBeLessThan(1_500);
    } finally {
      await down.close();
    }
    const row = await stack.db('webhook_deliveries').where({ delivery_key: id }).first();
    expect(row.status).toBe('accepted');
    expect(row.run).toMatchObject({ workflowType: 'discordInteraction', input: { action: { kind: 'archive' } } });
    expect(row.run.startedAt).toBeUndefined();
    await expect(stack.client.workflow.getHandle(`discord-${world.integrationId}-${id}`).describe()).rejects.toThrow();

    const pump = startPump({
      db: stack.db,
      start: createStarter({ temporal: stack.client, taskQueue: stack.config.temporal.taskQueue, logger }),
      logger,
      intervalMs: 60_000,
      minAgeMs: 0,
    });
    try {
      expect(await pump.tick()).toMatchObject({ leader: true, started: 1, unavailable: false });
      expect((await stack.client.workflow.getHandle(`discord-${world.integrationId}-${id}`).describe()).type).toBe(
        'discordInteraction'
      );
      expect((await stack.db('webhook_deliveries').where({ delivery_key: id }).first()).run.startedAt).toBeTruthy();
      // Started rows are not started again.
      expect(await pump.tick()).toMatchObject({ leader: true, started: 0 });
    } finally {
      await pump.stop();
    }
  });
});

describe('the delivery pump', () => {
  const recording = () => {
    const ids: string[] = [];
    const start: Starter = async (spec) => {
      ids.push(spec.workflowId);
      await new Promise((r) => setTimeout(r, 300));
      return 'started';
    };
    return { start, ids };
  };
  const storedRow = (key: string, receivedAgoSec: number) => ({
    provider: 'discord',
    integration_id: world.integrationId,
    delivery_key: key,
    workflow_id: `discord-${world.integrationId}-${key}`,
    status: 'accepted',
    attempts: 1,
    received_at: stack.db.raw(`now() - make_interval(secs => ${receivedAgoSec})`),
    run: JSON.stringify({
      workflowType: 'discordInteraction',
      input: { deliveryKey: key, groupId: world.groupId, action: { kind: 'archive' } },
      summary: 'test',
      labels: { provider: 'discord', groupIds: [world.groupId] },
    }),
  });

  test('When two pumps tick at once, Then only one holds the lock and each delivery starts once', async () => {
    await stack.db('webhook_deliveries').insert([storedRow('p-1', 10), storedRow('p-2', 10)]);
    const a = recording();
    const b = recording();
    const pumpA = startPump({ db: stack.db, start: a.start, logger, intervalMs: 60_000 });
    const pumpB = startPump({ db: stack.db, start: b.start, logger, intervalMs: 60_000 });
    try {
      const results = await Promise.all([pumpA.tick(), pumpB.tick()]);
      expect(results.map((r) => r.leader).sort()).toEqual([false, true]);
      expect([...a.ids, ...b.ids].sort()).toEqual([
        `discord-${world.integrationId}-p-1`,
        `discord-${world.integrationId}-p-2`,
      ]);
    } finally {
      await Promise.all([pumpA.stop(), pumpB.stop()]);
    }
  });

  test('When another process holds the lock, Then the pump does nothing', async () => {
    await stack.db('webhook_deliveries').insert(storedRow('p-3', 10));
    const a = recording();
    const pump = startPump({ db: stack.db, start: a.start, logger, intervalMs: 60_000 });
    try {
      await stack.db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(?)', [PUMP_LOCK_KEY]);
        expect(await pump.tick()).toMatchObject({ leader: false, started: 0 });
      });
      expect(a.ids).toEqual([]);
      expect(await pump.tick()).toMatchObject({ leader: true, started: 1 });
    } finally {
      await pump.stop();
    }
  });

  test('When a delivery is younger than 2 s, Then it is left to the intake; older than 15 min, Then failed', async () => {
    await stack.db('webhook_deliveries').insert([storedRow('young', 0), storedRow('old', 16 * 60)]);
    const a = recording();
    const pump = startPump({ db: stack.db, start: a.start, logger, intervalMs: 60_000 });
    try {
      expect(await pump.tick()).toMatchObject({ leader: true, started: 0, expired: 1 });
      expect(a.ids).toEqual([]);
      expect(await stack.db('webhook_deliveries').where({ delivery_key: 'old' }).first()).toMatchObject({
        status: 'failed',
        reason: EXPIRED_REASON,
      });
      expect((await stack.db('webhook_deliveries').where({ delivery_key: 'young' }).first()).status).toBe('accepted');
    } finally {
      await pump.stop();
    }
  });

  test('When Temporal is unreachable, Then the tick stops at the first start and the rows stay accepted', async () => {
    await stack.db('webhook_deliveries').insert([storedRow('u-1', 10), storedRow('u-2', 10)]);
    const connection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 500, interceptors: [] });
    const pump = startPump({
      db: stack.db,
      start: createStarter({ temporal: new Client({ connection }), taskQueue: 'x', logger }),
      logger,
      intervalMs: 60_000,
    });
    try {
      expect(await pump.tick()).toMatchObject({ leader: true, started: 0, unavailable: true });
      const rows = await stack.db('webhook_deliveries').orderBy('id').select('status', 'run');
      expect(rows.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted']);
      expect(rows.every((r: { run: { startedAt?: string } }) => r.run.startedAt === undefined)).toBe(true);
    } finally {
      await pump.stop();
      await connection.close();
    }
  });
});
