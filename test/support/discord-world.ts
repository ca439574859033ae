/**
 * The common Discord interaction scenario on top of the Jira world (jira-world.ts): org acme, Jane a member,
 * group 42 linked to APP-123, plus a Discord integration (guild, application, bot) installed for acme, Jane's
 * Discord account linked (identity provider per guild, identity per Discord user) and the group's alert in a
 * channel. Helpers insert what the API would (webhook_deliveries + discord_interactions) and start
 * `discordInteraction` directly, and run a worker whose config has a link secret.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import type { Knex } from 'knex';
import type { ChatAction, ChatActionResult, DiscordInteractionInput } from '../../src/workflows/chat-contracts';
import { discordInteraction } from '../../src/workflows/discord-interaction';
import { deliveryWorkflowId, searchAttributes } from '../../src/workflows/ids';
import { createWorker } from '../../src/worker';
import type { DiscordSimulator } from './discord-simulator';
import * as fx from './fixtures';
import type { World } from './jira-world';
import type { Stack } from './stack';

export const GUILD = '4100000000000000001';
export const APPLICATION = '4200000000000000001';
export const BOT_TOKEN = 'discord-bot-token-for-interaction-tests';
export const CHANNEL = '4300000000000000001';
export const ALERT = '4400000000000000001';
export const JANE_DISCORD = { id: '4500000000000000001', username: 'jane.discord' };
export const LINK_SECRET = 'link-secret-for-tests-0123456789abcdef';
export const PUBLIC_URL = 'https://issue-sync.example';

export interface DiscordWorld extends World {
  discordId: number;
  idpId: number;
  chatMessageId: number;
}

/** Adds the Discord side to a seeded Jira world and seeds the alert message in the simulator. */
export async function seedDiscord(db: Knex, discord: DiscordSimulator, w: World): Promise<DiscordWorld> {
  const discordId = await fx.insertDiscordIntegration(db, {
    guildId: GUILD,
    applicationId: APPLICATION,
    botToken: BOT_TOKEN,
  });
  await fx.installIntegration(db, w.orgId, discordId);
  const idpId = await fx.insertIdentityProvider(db, 'discord', GUILD);
  await fx.insertIdentity(db, { idpId, userId: w.janeId, externalId: JANE_DISCORD.id });
  const chatMessageId = await fx.insertChatMessage(db, {
    groupId: w.groupId,
    integrationId: discordId,
    channelId: CHANNEL,
    messageId: ALERT,
  });
  discord.seedMessage(CHANNEL, ALERT, { content: '' });
  return { ...w, discordId, idpId, chatMessageId };
}

let counter = 0;

/** A fresh interaction id (a snowflake-looking number, unique across runs on the shared dev server). */
export function newInteractionId(): string {
  counter += 1;
  return `${Date.now()}${String(counter).padStart(4, '0')}`;
}

export interface StartedInteraction {
  readonly interactionId: string;
  readonly workflowId: string;
  readonly deliveryId: number;
  readonly token: string;
}

/**
 * What the API does for a state-change interaction, then the start: the delivery row, the token row (the
 * clicked message is the alert unless `ephemeral`), the simulator's interaction, and the run.
 */
export async function startInteraction(
  stack: Stack,
  discord: DiscordSimulator,
  w: DiscordWorld,
  o: {
    action: ChatAction;
    user?: { id: string; username: string };
    ephemeral?: boolean;
    groupId?: number;
    /** Store the token row as already expired (Discord's 15 minutes are over). */
    expired?: boolean;
  }
): Promise<StartedInteraction> {
  const interactionId = newInteractionId();
  const token = `itok-${randomUUID()}-${interactionId}`;
  const workflowId = deliveryWorkflowId('discord', interactionId, w.discordId);
  const user = o.user ?? JANE_DISCORD;
  const groupId = o.groupId ?? w.groupId;
  const ephemeralMessageId = `${interactionId}9`;
  const [delivery] = await stack
    .db('webhook_deliveries')
    .insert({
      provider: 'discord',
      integration_id: w.discordId,
      delivery_key: interactionId,
      workflow_id: workflowId,
      status: 'accepted',
    })
    .returning('id');
  await stack.db('discord_interactions').insert({
    integration_id: w.discordId,
    interaction_id: interactionId,
    application_id: APPLICATION,
    token,
    channel_id: CHANNEL,
    message_id: o.ephemeral ? ephemeralMessageId : ALERT,
    message_ephemeral: o.ephemeral === true,
    expires_at: new Date(Date.now() + (o.expired ? -60_000 : 15 * 60 * 1000)),
  });
  discord.seedInteraction(
    token,
    o.ephemeral ? { applicationId: APPLICATION } : { applicationId: APPLICATION, channelId: CHANNEL, messageId: ALERT }
  );
  const input: DiscordInteractionInput = {
    deliveryId: Number((delivery as { id: string | number }).id),
    deliveryKey: interactionId,
    integrationId: w.discordId,
    guildId: GUILD,
    chatUserId: user.id,
    chatUserName: user.username,
    groupId,
    action: o.action,
  };
  await stack.client.workflow.start(discordInteraction, {
    workflowId,
    taskQueue: stack.config.temporal.taskQueue,
    args: [input],
    staticSummary: `Discord interaction on group ${groupId}`,
    typedSearchAttributes: searchAttributes({ provider: 'discord', integrationId: w.discordId, groupIds: [groupId] }),
  });
  return { interactionId, workflowId, deliveryId: input.deliveryId, token };
}

export async function interactionResult(client: Client, workflowId: string): Promise<ChatActionResult> {
  return (await client.workflow.getHandle(workflowId).result()) as ChatActionResult;
}

/** A worker on the stack's task queue whose config has a link secret and a public URL (the stack's has neither). */
export async function startLinkingWorker(stack: Stack): Promise<{ stop(): Promise<void> }> {
  const bundle = process.env.WORKFLOW_BUNDLE_PATH;
  if (!bundle) throw new Error('WORKFLOW_BUNDLE_PATH is not set: run through jest (globalSetup sets it)');
  const connection = await NativeConnection.connect({ address: stack.config.temporal.address! });
  const worker: Worker = await createWorker(
    { ...stack.config, linkSecret: LINK_SECRET, publicUrl: PUBLIC_URL },
    { db: stack.db, cache: stack.cache, connection, workflowBundlePath: bundle }
  );
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
