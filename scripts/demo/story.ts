/**
 * The demo's events: each one is built like the real sender builds it (Jira: a Connect JWT over the shared
 * secret; Discord: an Ed25519 signature; Teams: a Bot Framework token from the simulator's keys; the tracker API:
 * the bearer API token), sent to the API's public route, and followed to the end of its workflow. The story is a
 * fixed list of them; the `GET /demo/...` helper builds more from query parameters.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { TEAMS_ACTION_TYPES } from '../../src/activities/msteams/cards';
import { deliveryWorkflowId } from '../../src/workflows/ids';
import type { DiscordSimulator } from '../../test/support/discord-simulator';
import { componentInteraction, nextSnowflake } from '../../test/support/discord-signing';
import { signConnectJwt } from '../../test/support/jira-jwt';
import {
  buildIssueUpdatedPayload,
  type JiraSimulator,
  type StatusCategoryKey,
} from '../../test/support/jira-simulator';
import type { TeamsSimulator } from '../../test/support/teams-simulator';
import { DEMO, type DemoWorld } from './seed';

/** A JSON answer or workflow result, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const JIRA_PATH = '/webhooks/jira/issue-updated';
const DISCORD_PATH = '/webhooks/discord/interactions';
const TEAMS_PATH = '/webhooks/msteams/messages';
const RESULT_TIMEOUT_MS = 45_000;

export interface StepResult {
  ok: boolean;
  title: string;
  /** One line: what happened. */
  what: string;
  workflowId?: string;
}

export interface Step {
  title: string;
  run(): Promise<StepResult>;
}

export interface StoryDeps {
  api: string;
  apiToken: string;
  client: Client;
  db: Knex;
  world: DemoWorld;
  jira: JiraSimulator;
  discord: DiscordSimulator;
  teams: TeamsSimulator;
}

type Who = 'jane' | 'bob' | 'nobody';

export function createStory(d: StoryDeps) {
  const { world } = d;
  const runTag = Date.now().toString(36);
  let seq = 0;
  const nextKey = (what: string) => `demo-${runTag}-${++seq}-${what}`;
  /** Jira `updated` times: strictly increasing in this process, so each event is newer than the last. */
  let clock = Date.now();
  const nextTime = () => new Date((clock = Math.max(clock + 1_000, Date.now()))).toISOString();

  const groupOf = (key: string) => {
    const g = world.groups.find((x) => x.key === key.toUpperCase() || String(x.id) === key);
    if (!g)
      throw new Error(
        `unknown issue or group ${key}; try ${world.groups.map((x) => `${x.key} (group ${x.id})`).join(', ')}`
      );
    return g;
  };
  const issueOf = (key: string) => DEMO.issues.find((i) => i.key === groupOf(key).key)!;

  async function groupState(groupId: number): Promise<string> {
    const g = await d.db('groups').where('id', groupId).first('status');
    const a = await d
      .db('group_assignees as a')
      .leftJoin('users as u', 'u.id', 'a.user_id')
      .where('a.group_id', groupId)
      .first('u.name');
    const status = ['unresolved', 'resolved', 'archived'][Number(g?.status)] ?? `status ${g?.status}`;
    return `group ${groupId} is ${status}${a?.name ? `, assigned to ${a.name}` : ', unassigned'}`;
  }

  /** The run's result; a run started in the background (Teams) may not exist for a moment. */
  async function resultOf(workflowId: string): Promise<Json> {
    const until = Date.now() + RESULT_TIMEOUT_MS;
    for (;;) {
      try {
        return (await d.client.workflow.getHandle(workflowId).result()) as Json;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError) || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  const outcomeText = (r: Json) => `${r.outcome}${r.reason ? ` (${r.reason})` : ''}`;

  async function apiCall(method: string, path: string, body?: unknown, key?: string) {
    const res = await fetch(`${d.api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${d.apiToken}`,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  }

  // ------------------------------------------------------------------------------------------ Jira webhooks

  interface JiraSend {
    payload: Record<string, unknown>;
    identifier: string;
    retry?: boolean;
  }
  async function sendJira(s: JiraSend) {
    const token = signConnectJwt({
      clientKey: DEMO.jira.clientKey,
      sharedSecret: DEMO.jira.sharedSecret,
      method: 'POST',
      path: JIRA_PATH,
    });
    const res = await fetch(`${d.api}${JIRA_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `JWT ${token}`,
        'x-atlassian-webhook-identifier': s.identifier,
        ...(s.retry ? { 'x-atlassian-webhook-retry': '1' } : {}),
      },
      body: JSON.stringify(s.payload),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  function assigneePayload(key: string, who: Who, o: { withEmail?: boolean; updated?: string } = {}) {
    const issue = issueOf(key);
    const person = who === 'nobody' ? null : DEMO.jira[who];
    return buildIssueUpdatedPayload({
      issue: { id: issue.id, key: issue.key, projectId: '10000', projectKey: 'APP' },
      changedFields: ['assignee'],
      updated: o.updated ?? nextTime(),
      assignee: person && {
        accountId: person.accountId,
        displayName: person.displayName,
        ...(o.withEmail !== false ? { emailAddress: person.email } : {}),
      },
    });
  }

  function statusPayload(key: string, category: StatusCategoryKey) {
    const issue = issueOf(key);
    const name = { new: 'To Do', indeterminate: 'In Progress', done: 'Done' }[category];
    return buildIssueUpdatedPayload({
      issue: { id: issue.id, key: issue.key, projectId: '10000', projectKey: 'APP' },
      changedFields: ['status'],
      updated: nextTime(),
      statusCategoryKey: category,
      statusName: name,
    });
  }

  /** Sends a Jira webhook and follows its run; `expect` is the outcome the step should end with. */
  function jiraStep(title: string, send: () => JiraSend, expect: string, before?: () => void): Step {
    return {
      title,
      async run() {
        before?.();
        const s = send();
        const groupId = groupOf(String((s.payload.issue as { key: string }).key)).id;
        const res = await sendJira(s);
        if (res.status !== 202) return { ok: false, title, what: `HTTP ${res.status} ${JSON.stringify(res.body)}` };
        const result = await resultOf(String(res.body.workflowId));
        return {
          ok: result.outcome === expect,
          title,
          what: `HTTP 202 → ${outcomeText(result)}; ${await groupState(groupId)}`,
          workflowId: String(res.body.workflowId),
        };
      },
    };
  }

  // ------------------------------------------------------------------------------------------ tracker API

  function commentStep(groupKey: string, text: string): Step {
    const title = `Tracker comment on group ${groupOf(groupKey).id} → Jira`;
    return {
      title,
      async run() {
        const g = groupOf(groupKey);
        const res = await apiCall(
          'POST',
          `/api/groups/${g.id}/comments`,
          { text, userId: world.janeId },
          nextKey('note')
        );
        const workflowId = res.body.syncs?.[0]?.workflowId as string | undefined;
        if (res.status !== 201 || !workflowId)
          return { ok: false, title, what: `HTTP ${res.status} ${JSON.stringify(res.body)}` };
        const result = await resultOf(workflowId);
        const comments = d.jira.issue(g.key)?.comments ?? [];
        return {
          ok: result.outcome === 'applied',
          title,
          what: `HTTP 201 → ${outcomeText(result)}; ${g.key} in Jira now has ${comments.length} comment(s)`,
          workflowId,
        };
      },
    };
  }

  /** The group's alert in a chat (posted through POST /api/groups/:id/alerts the first time it is needed). */
  const alerts = new Map<string, string>();
  async function ensureAlert(
    provider: 'discord' | 'msteams',
    groupId: number
  ): Promise<StepResult & { messageId?: string }> {
    const title = `${provider === 'discord' ? 'Discord alert' : 'Teams card'} for group ${groupId} posted`;
    const known = alerts.get(`${provider}:${groupId}`);
    if (known) return { ok: true, title, what: 'already posted', messageId: known };
    const body =
      provider === 'discord'
        ? { integrationId: world.discordId, channelId: DEMO.discord.channelId }
        : { integrationId: world.teamsId, conversationId: DEMO.teams.channel };
    const res = await apiCall('POST', `/api/groups/${groupId}/alerts`, body, nextKey('alert'));
    if (res.status !== 201) return { ok: false, title, what: `HTTP ${res.status} ${JSON.stringify(res.body)}` };
    alerts.set(`${provider}:${groupId}`, String(res.body.messageId));
    return {
      ok: true,
      title,
      what: `HTTP 201; message ${String(res.body.messageId)} in the ${provider === 'discord' ? 'Discord channel' : 'Teams channel'}`,
      workflowId: String(res.body.workflowId),
      messageId: String(res.body.messageId),
    };
  }

  function alertStep(provider: 'discord' | 'msteams', groupKey: string): Step {
    const groupId = groupOf(groupKey).id;
    return {
      title: `${provider === 'discord' ? 'Discord alert' : 'Teams card'} for group ${groupId} posted`,
      run: () => ensureAlert(provider, groupId),
    };
  }

  // ------------------------------------------------------------------------------------------ Discord

  function discordStep(groupKey: string, action: string): Step {
    const groupId = groupOf(groupKey).id;
    const title = `Discord button "${action}" on group ${groupId}`;
    return {
      title,
      async run() {
        const alert = await ensureAlert('discord', groupId);
        if (!alert.ok) return { ...alert, title };
        const body = componentInteraction({
          id: nextSnowflake(),
          applicationId: DEMO.discord.applicationId,
          guildId: DEMO.discord.guildId,
          customId: `${action}:${groupId}`,
          userId: DEMO.discord.jane.id,
          username: DEMO.discord.jane.username,
          messageId: alert.messageId,
        });
        d.discord.seedInteraction(String(body.token), {
          applicationId: DEMO.discord.applicationId,
          channelId: DEMO.discord.channelId,
          messageId: alert.messageId,
        });
        const text = JSON.stringify(body);
        const res = await fetch(`${d.api}${DISCORD_PATH}`, {
          method: 'POST',
          headers: DEMO.discord.signer.headers(text),
          body: text,
        });
        const answer = await res.text();
        if (res.status !== 200) return { ok: false, title, what: `HTTP ${res.status} ${answer}` };
        const workflowId = deliveryWorkflowId('discord', String(body.id), world.discordId);
        const result = await resultOf(workflowId);
        return {
          ok: result.outcome === 'applied',
          title,
          what: `HTTP 200 ${answer} → ${outcomeText(result)}; ${await groupState(groupId)}; alert edited in place`,
          workflowId,
        };
      },
    };
  }

  // ------------------------------------------------------------------------------------------ Teams

  const TEAMS_ACTIONS: Record<string, { type: string; inputs?: Record<string, string> }> = {
    resolve: { type: TEAMS_ACTION_TYPES.resolve, inputs: { resolveInput: 'resolved' } },
    archive: { type: TEAMS_ACTION_TYPES.archive, inputs: { archiveInput: '-1' } },
    assign: { type: TEAMS_ACTION_TYPES.assign, inputs: { assignInput: 'ME' } },
    unassign: { type: TEAMS_ACTION_TYPES.unassign },
    unresolve: { type: TEAMS_ACTION_TYPES.unresolve },
  };

  function teamsStep(groupKey: string, action: string): Step {
    const groupId = groupOf(groupKey).id;
    const title = `Teams card "${action}" on group ${groupId}`;
    return {
      title,
      async run() {
        const spec = TEAMS_ACTIONS[action];
        if (!spec) throw new Error(`unknown Teams action ${action}; try ${Object.keys(TEAMS_ACTIONS).join(', ')}`);
        const card = await ensureAlert('msteams', groupId);
        if (!card.ok) return { ...card, title };
        const now = new Date().toISOString();
        const body = {
          type: 'message',
          id: `1:${nextKey('teams')}`,
          timestamp: now,
          localTimestamp: now,
          serviceUrl: d.teams.baseUrl,
          channelId: 'msteams',
          from: DEMO.teams.jane,
          recipient: { id: `28:${d.teams.appId}`, name: 'issue-sync' },
          locale: 'en-US',
          conversation: {
            conversationType: 'channel',
            tenantId: DEMO.teams.tenant,
            isGroup: true,
            id: `${DEMO.teams.channel};messageid=${card.messageId}`,
          },
          channelData: {
            tenant: { id: DEMO.teams.tenant },
            team: { id: DEMO.teams.team, name: 'Contoso Engineering' },
            channel: { id: DEMO.teams.channel, name: 'alerts' },
          },
          replyToId: card.messageId,
          value: {
            payload: { actionType: spec.type, groupId: String(groupId), integrationId: String(world.teamsId) },
            ...spec.inputs,
          },
        };
        const token = await d.teams.signActivityToken({ serviceUrl: d.teams.baseUrl, aud: d.teams.appId });
        const res = await fetch(`${d.api}${TEAMS_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        const json = (text ? JSON.parse(text) : {}) as Json;
        if (res.status !== 202 || !json.workflowId) return { ok: false, title, what: `HTTP ${res.status} ${text}` };
        const result = await resultOf(String(json.workflowId));
        return {
          ok: result.outcome === 'applied',
          title,
          what: `HTTP 202 → ${outcomeText(result)}; ${await groupState(groupId)}; card updated in place`,
          workflowId: String(json.workflowId),
        };
      },
    };
  }

  // ------------------------------------------------------------------------------------------ the story

  const first = DEMO.issues[0].key;
  const second = DEMO.issues[1].key;
  let assignment: JiraSend | undefined;
  const steps: Step[] = [
    jiraStep(
      `Jira: ${first} assigned to Jane`,
      () => (assignment = { payload: assigneePayload(first, 'jane'), identifier: nextKey('assign') }),
      'applied'
    ),
    jiraStep(
      `Jira: ${second} → Bob, email hidden, API 429 once`,
      () => ({ payload: assigneePayload(second, 'bob', { withEmail: false }), identifier: nextKey('hidden-email') }),
      'applied',
      () =>
        d.jira.failNext({ method: 'GET', pathPrefix: '/rest/api/3/user/email' }, 1, {
          status: 429,
          headers: { 'Retry-After': '1' },
        })
    ),
    jiraStep(
      `Jira: ${first} moved to Done`,
      () => ({ payload: statusPayload(first, 'done'), identifier: nextKey('done') }),
      'applied'
    ),
    commentStep(first, 'Root cause: the session cache returned undefined after a deploy. Fixed in #4711.'),
    alertStep('discord', DEMO.issues[2].key),
    discordStep(DEMO.issues[2].key, 'archive'),
    alertStep('msteams', DEMO.issues[3].key),
    teamsStep(DEMO.issues[3].key, 'resolve'),
    {
      title: `Jira: the ${first} assignment delivered again`,
      async run() {
        const title = `Jira: the ${first} assignment delivered again`;
        if (!assignment) return { ok: false, title, what: 'the first step did not run' };
        const res = await sendJira({ ...assignment, retry: true });
        return {
          ok: res.status === 200 && res.body.duplicate === true,
          title,
          what: `HTTP ${res.status} ${JSON.stringify(res.body)}: no second run, the first one's link`,
          workflowId: res.body.workflowId as string | undefined,
        };
      },
    },
    jiraStep(
      `Jira: a stale ${first} event (older than the last)`,
      () => ({
        payload: assigneePayload(first, 'bob', { updated: new Date(Date.now() - 3_600_000).toISOString() }),
        identifier: nextKey('stale'),
      }),
      'skipped'
    ),
  ];

  const events: Record<string, (q: Record<string, string>) => Step> = {
    'jira/assign': (q) => {
      const to = (q.to ?? 'jane') as Who;
      if (!['jane', 'bob', 'nobody'].includes(to)) throw new Error('to must be jane, bob or nobody');
      const issue = q.issue ?? first;
      return jiraStep(
        `Jira: ${issue} assigned to ${to}`,
        () => ({ payload: assigneePayload(issue, to), identifier: nextKey('assign') }),
        'applied'
      );
    },
    'jira/status': (q) => {
      const category = (q.category ?? 'done') as StatusCategoryKey;
      if (!['new', 'indeterminate', 'done'].includes(category))
        throw new Error('category must be new, indeterminate or done');
      const issue = q.issue ?? first;
      return jiraStep(
        `Jira: ${issue} status ${category}`,
        () => ({ payload: statusPayload(issue, category), identifier: nextKey('status') }),
        'applied'
      );
    },
    comment: (q) => commentStep(q.group ?? first, q.text ?? 'A note from the demo helper'),
    'discord/click': (q) => discordStep(q.group ?? DEMO.issues[2].key, q.action ?? 'resolve'),
    'teams/action': (q) => teamsStep(q.group ?? DEMO.issues[3].key, q.action ?? 'assign'),
  };
  const helpText = [
    'GET /demo/jira/assign?issue=APP-2&to=jane|bob|nobody',
    'GET /demo/jira/status?issue=APP-2&category=new|indeterminate|done',
    'GET /demo/comment?group=<group id or APP-n>&text=…',
    'GET /demo/discord/click?group=<group id or APP-n>&action=resolve|archive|unresolve|mark_ongoing',
    'GET /demo/teams/action?group=<group id or APP-n>&action=resolve|archive|assign|unassign|unresolve',
  ];

  return { steps, events, helpText, run: (s: Step) => s.run() };
}
