/**
 * A Discord click end to end, through the real public route: a signed interaction → {type: 6} → the worker runs
 * discordInteraction → the group changes, the alert is edited in place, one follow-up. And the same click while
 * the worker is stopped and Temporal unreachable: answered at once, then started by the pump and applied once
 * Temporal is back.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { startPump } from '../../src/api/pump';
import { createStarter } from '../../src/api/temporal-start';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import type { ChatActionResult } from '../../src/workflows/chat-contracts';
import type { DiscordSimulator } from '../support/discord-simulator';
import { componentInteraction, createDiscordSigner } from '../support/discord-signing';
import type { DiscordWorld } from '../support/discord-world';
import { ALERT, APPLICATION, BOT_TOKEN, CHANNEL, GUILD, JANE_DISCORD, seedDiscord } from '../support/discord-world';
import type { JiraSimulator } from '../support/jira-simulator';
import { seedWorld } from '../support/jira-world';
import type { Stack } from '../support/stack';
import { useChatSuite } from '../support/chat-suite';

jest.setTimeout(90_000);

const signer = createDiscordSigner();
const logger = createLogger('silent');
let stack: Stack;
let jira: JiraSimulator;
let discord: DiscordSimulator;
let w: DiscordWorld;

const suite = useChatSuite({ botToken: BOT_TOKEN });

beforeAll(() => {
  ({ stack, jira, discord } = suite);
});
beforeEach(async () => {
  w = await seedDiscord(stack.db, discord, await seedWorld(stack.db, jira));
  await stack
    .db('integrations')
    .where('id', w.discordId)
    .update({
      metadata: stack.db.raw(`metadata || jsonb_build_object('public_key_hex', ?::text)`, [signer.publicKeyHex]),
    });
});

/** An archive click on the group's alert, as Discord sends it, with its token known to the simulator. */
function archiveClick(): { body: Record<string, unknown>; id: string; token: string } {
  const body = componentInteraction({
    applicationId: APPLICATION,
    guildId: GUILD,
    customId: `archive:${w.groupId}`,
    userId: JANE_DISCORD.id,
    username: JANE_DISCORD.username,
    messageId: ALERT,
  });
  const token = String(body.token);
  discord.seedInteraction(token, { applicationId: APPLICATION, channelId: CHANNEL, messageId: ALERT });
  return { body, id: String(body.id), token };
}

async function post(api: string, body: unknown): Promise<{ status: number; json: unknown; ms: number }> {
  const text = JSON.stringify(body);
  const t0 = performance.now();
  const res = await fetch(`${api}/webhooks/discord/interactions`, {
    method: 'POST',
    headers: signer.headers(text),
    body: text,
  });
  return { status: res.status, json: await res.json(), ms: performance.now() - t0 };
}

async function resultOf(workflowId: string): Promise<ChatActionResult> {
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      return (await stack.client.workflow.getHandle(workflowId).result()) as ChatActionResult;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function expectArchivedOnce(id: string, token: string): Promise<void> {
  const result = await resultOf(`discord-${w.discordId}-${id}`);
  expect(result).toMatchObject({ outcome: 'applied', userId: w.janeId, changes: [{ kind: 'archived' }] });
  expect((await stack.db('groups').where('id', w.groupId).first()).status).toBe(2);
  expect(await stack.db('activities').where({ group_id: w.groupId, type: 3 })).toHaveLength(1);
  const sim = discord.interaction(token)!;
  expect(sim.originalEdits).toHaveLength(1);
  expect(JSON.stringify(sim.originalEdits[0])).toContain(`mark_ongoing:${w.groupId}`);
  expect(sim.followups).toHaveLength(1);
  const row = await stack.db('webhook_deliveries').where({ provider: 'discord', delivery_key: id }).first();
  expect(row.status).toBe('applied');
}

test('When Jane clicks Archive on the alert, Then {type: 6} at once, the group is archived and the alert shows Mark as Ongoing', async () => {
  const click = archiveClick();
  const res = await post(stack.api, click.body);
  expect(res).toMatchObject({ status: 200, json: { type: 6 } });
  await expectArchivedOnce(click.id, click.token);
  // Discord never redelivers, but a replayed request must not act twice.
  expect((await post(stack.api, click.body)).json).toEqual({ type: 6 });
  await expectArchivedOnce(click.id, click.token);
});

test('When the worker is stopped and Temporal unreachable, Then {type: 6} within 1.5 s, and the click is applied once Temporal is back', async () => {
  await stack.stopWorker();
  const connection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 500, interceptors: [] });
  const app = createApp({
    db: stack.db,
    cache: stack.cache,
    temporal: new Client({ connection }),
    taskQueue: stack.config.temporal.taskQueue,
    apiToken: 'x',
    logger,
    metrics: createMetrics(),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const click = archiveClick();
  try {
    const res = await post(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, click.body);
    expect(res).toMatchObject({ status: 200, json: { type: 6 } });
    expect(res.ms).toBeLessThan(1_500);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise((r) => setTimeout(r, 2_000)); // the background start gives up within its deadline
    await connection.close();
  }
  expect((await stack.db('webhook_deliveries').where({ delivery_key: click.id }).first()).status).toBe('accepted');
  expect((await stack.db('groups').where('id', w.groupId).first()).status).toBe(0);

  // Temporal is back (the stack's own client), and so is the worker.
  await stack.startWorker();
  const pump = startPump({
    db: stack.db,
    start: createStarter({ temporal: stack.client, taskQueue: stack.config.temporal.taskQueue, logger }),
    logger,
    intervalMs: 60_000,
    minAgeMs: 0,
  });
  try {
    expect(await pump.tick()).toMatchObject({ leader: true, started: 1 });
    await expectArchivedOnce(click.id, click.token);
  } finally {
    await pump.stop();
  }
});
