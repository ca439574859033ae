/**
 * The Teams scenario on top of the Jira world (jira-world.ts): a Teams integration (team TEAM, tenant TENANT,
 * service URL = the Bot Framework simulator) installed for acme, Jane's Teams account linked, a stack whose API
 * and worker know the bot (TEAMS_* pointing at the simulator, a link secret), and helpers that build Bot
 * Framework activities as Teams sends them and post them with a token signed by the simulator's keys.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import * as fx from './fixtures';
import type { JiraSimulator } from './jira-simulator';
import { startJiraSimulator } from './jira-simulator';
import type { World } from './jira-world';
import { CLIENT_KEY, SHARED_SECRET, seedWorld } from './jira-world';
import type { Stack } from './stack';
import { startStack, truncateAll } from './stack';
import type { TeamsSimulator } from './teams-simulator';
import { startTeamsSimulator } from './teams-simulator';

export const TEAM = '19:team-general@thread.tacv2';
export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CHANNEL = '19:alerts-channel@thread.tacv2';
export const JANE_TEAMS = { id: '29:1jane-teams-user', name: 'Jane Teams', aadObjectId: 'aad-jane' };
export const BOB_TEAMS = { id: '29:1bob-teams-user', name: 'Bob Teams', aadObjectId: 'aad-bob' };
export const LINK_SECRET = 'link-secret-for-teams-tests-0123456789abcdef';
export const PUBLIC_URL = 'https://issue-sync.example';
export const TEAMS_PATH = '/webhooks/msteams/messages';

export interface TeamsWorld extends World {
  teamsId: number;
  idpId: number;
}

/** The environment that points API and worker at the simulator. */
export function teamsEnv(sim: TeamsSimulator): Record<string, string> {
  return {
    TEAMS_APP_ID: sim.appId,
    TEAMS_APP_PASSWORD: sim.appPassword,
    TEAMS_OPENID_METADATA_URL: sim.openIdMetadataUrl,
    TEAMS_TOKEN_URL: sim.tokenUrl,
    LINK_SECRET,
    PUBLIC_URL,
  };
}

export async function seedTeams(db: Knex, sim: TeamsSimulator, w: World): Promise<TeamsWorld> {
  const [row] = await db('integrations')
    .insert({
      provider: 'msteams',
      external_id: TEAM,
      name: 'Contoso Engineering',
      metadata: { service_url: sim.baseUrl, tenant_id: TENANT, app_id: sim.appId },
    })
    .returning('id');
  const teamsId = Number((row as { id: string | number }).id);
  await fx.installIntegration(db, w.orgId, teamsId);
  const idpId = await fx.insertIdentityProvider(db, 'msteams', TEAM);
  await fx.insertIdentity(db, { idpId, userId: w.janeId, externalId: JANE_TEAMS.id });
  return { ...w, teamsId, idpId };
}

let counter = 0;
/** A fresh activity id, unique across runs on the shared dev server. */
export function newActivityId(): string {
  counter += 1;
  return `1:${Date.now().toString(36)}${counter}`;
}

export interface Where {
  /** `channel` (default): the card is in CHANNEL of TEAM; `personal`: in the user's 1:1 chat with the bot. */
  readonly kind?: 'channel' | 'personal';
  /** The personal conversation's id (default `a:personal-<user>`). */
  readonly personalId?: string;
}

function conversationOf(sim: TeamsSimulator, where: Where, user: { id: string }, replyToId?: string) {
  if (where.kind === 'personal') {
    return {
      conversation: { conversationType: 'personal', tenantId: TENANT, id: where.personalId ?? `a:personal-${user.id}` },
      channelData: { tenant: { id: TENANT } },
    };
  }
  return {
    conversation: {
      conversationType: 'channel',
      tenantId: TENANT,
      isGroup: true,
      id: `${CHANNEL};messageid=${replyToId ?? '1'}`,
    },
    channelData: {
      tenant: { id: TENANT },
      team: { id: TEAM, name: 'Contoso Engineering' },
      channel: { id: CHANNEL, name: 'alerts' },
      eventType: undefined,
    },
  };
}

/** The common envelope of an activity from Teams to the bot. */
function envelope(
  sim: TeamsSimulator,
  o: { id?: string; user?: typeof JANE_TEAMS; where?: Where; replyToId?: string }
) {
  const user = o.user ?? JANE_TEAMS;
  return {
    id: o.id ?? newActivityId(),
    timestamp: new Date().toISOString(),
    localTimestamp: new Date().toISOString(),
    serviceUrl: sim.baseUrl,
    channelId: 'msteams',
    from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
    recipient: { id: `28:${sim.appId}`, name: 'issue-sync' },
    locale: 'en-US',
    ...conversationOf(sim, o.where ?? {}, user, o.replyToId),
  };
}

/** An Action.Submit on a group card: `value` = the submit data merged with the card's inputs. */
export function cardAction(
  sim: TeamsSimulator,
  o: {
    groupId: number;
    integrationId: number;
    actionType: string | number;
    replyToId: string;
    inputs?: Record<string, string>;
    id?: string;
    user?: typeof JANE_TEAMS;
    where?: Where;
  }
): Record<string, unknown> {
  return {
    type: 'message',
    ...envelope(sim, o),
    replyToId: o.replyToId,
    value: {
      payload: { actionType: String(o.actionType), groupId: String(o.groupId), integrationId: String(o.integrationId) },
      ...o.inputs,
    },
  };
}

/** A text message to the bot (personal by default; in a channel it mentions the bot when `mention`). */
export function textMessage(
  sim: TeamsSimulator,
  o: { text: string; id?: string; user?: typeof JANE_TEAMS; where?: Where; mention?: boolean }
): Record<string, unknown> {
  const where = o.where ?? { kind: 'personal' };
  const bot = { id: `28:${sim.appId}`, name: 'issue-sync' };
  return {
    type: 'message',
    ...envelope(sim, { ...o, where }),
    text: o.mention ? `<at>issue-sync</at> ${o.text}` : o.text,
    textFormat: 'plain',
    entities: o.mention ? [{ type: 'mention', text: '<at>issue-sync</at>', mentioned: bot }] : [],
  };
}

/** The bot added to TEAM (conversationUpdate with the bot among membersAdded). */
export function botAdded(sim: TeamsSimulator, o: { id?: string } = {}): Record<string, unknown> {
  return {
    type: 'conversationUpdate',
    ...envelope(sim, { ...o, where: { kind: 'channel' } }),
    membersAdded: [{ id: `28:${sim.appId}` }],
    channelData: {
      tenant: { id: TENANT },
      team: { id: TEAM, name: 'Contoso Engineering' },
      eventType: 'teamMemberAdded',
    },
  };
}

/** Posts an activity as Bot Framework does: a Bearer token from the simulator's keys for this serviceUrl. */
export async function postActivity(
  stack: Stack,
  sim: TeamsSimulator,
  body: Record<string, unknown>,
  o: { token?: string; rawBody?: string } = {}
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const token = o.token ?? (await sim.signActivityToken({ serviceUrl: String(body.serviceUrl), aud: sim.appId }));
  const res = await fetch(`${stack.api}${TEAMS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: o.rawBody ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

/** Posts the group's card to a conversation through the API (the real alert path) and returns its message id. */
export async function postCard(
  stack: Stack,
  o: { groupId: number; integrationId: number; conversationId: string; requestId?: string }
): Promise<{ messageId: string; chatMessageId: number; workflowId: string }> {
  const res = await fetch(`${stack.api}/api/groups/${o.groupId}/alerts`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer test-api-token',
      'idempotency-key': o.requestId ?? `card-${newActivityId()}`,
    },
    body: JSON.stringify({ integrationId: o.integrationId, conversationId: o.conversationId }),
  });
  const body = (await res.json()) as {
    messageId?: string;
    chatMessageId?: number;
    workflowId?: string;
    error?: unknown;
  };
  if (res.status !== 201 || !body.messageId)
    throw new Error(`alert post failed: ${res.status} ${JSON.stringify(body)}`);
  return { messageId: body.messageId, chatMessageId: Number(body.chatMessageId), workflowId: String(body.workflowId) };
}

/**
 * The run's result. Teams gets its 202 once the delivery row is committed and the start happens right after in
 * the background, so the run may not exist yet for a moment: "not found" is retried for up to `ms`.
 */
export async function runResult<T>(client: Client, workflowId: string, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return (await client.workflow.getHandle(workflowId).result()) as T;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface TeamsSuite {
  stack: Stack;
  jira: JiraSimulator;
  sim: TeamsSimulator;
  w: TeamsWorld;
}

/**
 * The shared setup of the Teams integration files: a Jira and a Bot Framework simulator and a stack whose API and
 * worker know the bot; before each test reset simulators, empty tables and seed the Jira + Teams world. Register
 * it at the top level of a test file; the returned object is filled in by the hooks.
 */
export function useTeamsSuite(opts: { worker?: boolean } = {}): TeamsSuite {
  const suite = {} as TeamsSuite;
  beforeAll(async () => {
    suite.jira = await startJiraSimulator({ clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET });
    suite.sim = await startTeamsSimulator();
    suite.stack = await startStack({ env: teamsEnv(suite.sim), worker: opts.worker });
  });
  afterAll(async () => {
    await suite.stack?.stop();
    await suite.jira?.close();
    await suite.sim?.close();
  });
  beforeEach(async () => {
    suite.jira.reset();
    suite.sim.reset();
    await truncateAll(suite.stack.db);
    suite.w = await seedTeams(suite.stack.db, suite.sim, await seedWorld(suite.stack.db, suite.jira));
  });
  return suite;
}
