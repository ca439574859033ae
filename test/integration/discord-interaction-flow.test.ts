/**
 * discordInteraction end to end: real Postgres, the dev server, the Discord simulator (interaction webhooks)
 * and the Jira simulator (onward pushes). Each run is started the way the API starts it, after inserting the
 * webhook_deliveries and discord_interactions rows; assertions are on the `@original` edit, the ephemeral
 * follow-up, the tracker rows, the delivery row and the decoded history.
 */
import type { ChatActionResult } from '../../src/workflows/chat-contracts';
import { identityLinkedSignal } from '../../src/workflows/chat-contracts';
import { verifyLinkToken } from '../../src/domain/link-token';
import { SA } from '../../src/workflows/shared';
import type { Stack } from '../support/stack';
import { useChatSuite } from '../support/chat-suite';
import type { DiscordSimulator, SimInteraction } from '../support/discord-simulator';
import type { JiraSimulator } from '../support/jira-simulator';
import * as fx from '../support/fixtures';
import { kill, spawnWorker } from '../support/worker-child';
import { JANE, delivery, historyText, recordHistory, seedWorld } from '../support/jira-world';
import { seedJiraIssue } from '../support/outbound-world';
import type { DiscordWorld, StartedInteraction } from '../support/discord-world';
import {
  ALERT,
  APPLICATION,
  BOT_TOKEN,
  CHANNEL,
  LINK_SECRET,
  PUBLIC_URL,
  interactionResult,
  seedDiscord,
  startInteraction,
  startLinkingWorker,
} from '../support/discord-world';

jest.setTimeout(90_000);

let stack: Stack;
let jira: JiraSimulator;
let discord: DiscordSimulator;
let w: DiscordWorld;

const suite = useChatSuite({ botToken: BOT_TOKEN, worker: false });

beforeAll(() => {
  ({ stack, jira, discord } = suite);
});
beforeEach(async () => {
  const base = await seedWorld(stack.db, jira, { emailScope: true });
  await seedJiraIssue(stack.db, jira, base);
  jira.addUser({ accountId: JANE.accountId, displayName: JANE.displayName, email: JANE.email, emailVisible: true });
  w = await seedDiscord(stack.db, discord, base);
});

async function record(workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, workflowId, name);
}

function sim(started: StartedInteraction): SimInteraction {
  const found = discord.interaction(started.token);
  if (!found) throw new Error('the simulator has no such interaction');
  return found;
}

async function eventually<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface EditedAlert {
  embeds: Array<{ fields: Array<{ name: string; value: string }>; footer: { text: string } }>;
  components: Array<{ components: Array<{ custom_id: string; label: string }> }>;
}

function field(edit: unknown, name: string): string | undefined {
  return (edit as EditedAlert).embeds[0]?.fields.find((f) => f.name === name)?.value;
}
function buttons(edit: unknown): string[] {
  return (edit as EditedAlert).components.flatMap((row) => row.components.map((c) => c.custom_id));
}

/** One run, its result and what Discord saw: the only `@original` edit and the only follow-up. */
async function act(
  action: Parameters<typeof startInteraction>[3]['action'],
  o: { ephemeral?: boolean; recordAs?: string } = {}
): Promise<{ started: StartedInteraction; result: ChatActionResult; edit: unknown; followup: string }> {
  const started = await startInteraction(stack, discord, w, { action, ephemeral: o.ephemeral });
  const result = await interactionResult(stack.client, started.workflowId);
  if (o.recordAs) await record(started.workflowId, o.recordAs);
  const s = sim(started);
  expect(s.originalEdits).toHaveLength(1);
  expect(s.followups).toHaveLength(1);
  expect(s.followups[0]!.flags).toBe(64);
  return { started, result, edit: s.originalEdits[0], followup: s.followups[0]!.content };
}

describe('with a linking worker in this process', () => {
  let worker: { stop(): Promise<void> };
  beforeAll(async () => {
    worker = await startLinkingWorker(stack);
  });
  afterAll(() => worker.stop());

  describe('state changes on the alert', () => {
    test('assign a user: the alert shows Jane, the follow-up says so, Jira gets her, the bot does not edit twice', async () => {
      const { started, result, edit, followup } = await act(
        { kind: 'assign', value: `user:${w.janeId}` },
        { recordAs: 'assign-user' }
      );
      expect(result).toMatchObject({ outcome: 'applied', userId: w.janeId });
      expect(result.changes).toEqual([{ kind: 'assigned', assigneeName: 'Jane Doe' }]);
      expect(field(edit, 'Assignee')).toBe('Jane Doe');
      expect(buttons(edit)).toEqual([`resolve:${w.groupId}`, `archive:${w.groupId}`, `assign_dialog:${w.groupId}`]);
      expect(followup).toBe('Assigned to Jane Doe');
      // The clicked alert was edited through the interaction: no bot refresh of it and no reply under it.
      expect(discord.calls.filter((c) => c.route === 'editMessage' || c.route === 'createMessage')).toHaveLength(0);
      expect(discord.calls.filter((c) => c.route === 'editOriginal')[0]!.path).toBe(
        `/webhooks/${APPLICATION}/${started.token}/messages/@original`
      );
      const act11 = await stack.db('activities').where({ group_id: w.groupId, type: 11 }).first();
      expect(act11.user_id === null ? null : Number(act11.user_id)).toBe(w.janeId);
      expect(jira.issue('APP-123')!.assigneeAccountId).toBe(JANE.accountId);
      const row = await delivery(stack.db, started.deliveryId);
      expect(row).toMatchObject({ status: 'applied', reason: null });
      expect(row.group_ids.map(Number)).toEqual([w.groupId]);
      const desc = await stack.client.workflow.getHandle(started.workflowId).describe();
      expect(desc.typedSearchAttributes.get(SA.Outcome)).toBe('applied');
    });

    test('assign a team', async () => {
      const { result, edit, followup } = await act({ kind: 'assign', value: `team:${w.teamId}` });
      expect(result.outcome).toBe('applied');
      expect(field(edit, 'Assignee')).toBe('#backend');
      expect(followup).toBe('Assigned to #backend');
    });

    test('unassign', async () => {
      await act({ kind: 'assign', value: `user:${w.janeId}` });
      discord.reset();
      discord.seedMessage(CHANNEL, ALERT, { content: '' });
      const { result, edit, followup } = await act({ kind: 'assign', value: 'none' }, { recordAs: 'unassign' });
      expect(result.changes).toEqual([{ kind: 'unassigned' }]);
      expect(field(edit, 'Assignee')).toBe('Unassigned');
      expect(followup).toBe('Unassigned');
      expect(await stack.db('group_assignees').where({ group_id: w.groupId })).toHaveLength(0);
    });

    test('resolve immediately', async () => {
      const { result, edit, followup } = await act({ kind: 'resolve', value: 'immediately' });
      expect(result.changes).toEqual([{ kind: 'resolved' }]);
      expect(field(edit, 'Status')).toBe('Resolved');
      expect(buttons(edit)[0]).toBe(`unresolve:${w.groupId}`);
      expect(followup).toBe('Resolved');
      expect(Number((await stack.db('groups').where('id', w.groupId).first('status')).status)).toBe(1);
      expect(jira.issue('APP-123')!.statusId).toBe('10101');
    });

    test('unresolve', async () => {
      await stack.db('groups').where('id', w.groupId).update({ status: 1 });
      const { result, edit, followup } = await act({ kind: 'unresolve' });
      expect(result.changes).toEqual([{ kind: 'unresolved' }]);
      expect(field(edit, 'Status')).not.toBe('Resolved');
      expect(buttons(edit)[0]).toBe(`resolve:${w.groupId}`);
      expect(followup).toBe('Unresolved');
    });

    test('archive', async () => {
      const { result, edit, followup } = await act({ kind: 'archive' }, { recordAs: 'archive' });
      expect(result.changes).toEqual([{ kind: 'archived' }]);
      expect(field(edit, 'Status')).toBe('Archived until escalating');
      expect(buttons(edit)[1]).toBe(`mark_ongoing:${w.groupId}`);
      expect(followup).toBe('Archived');
      const g = await stack.db('groups').where('id', w.groupId).first('status', 'substatus');
      expect([Number(g.status), Number(g.substatus)]).toEqual([2, 1]);
    });

    test('mark ongoing', async () => {
      await stack.db('groups').where('id', w.groupId).update({ status: 2, substatus: 1 });
      const { result, edit, followup } = await act({ kind: 'mark_ongoing' });
      expect(result.changes).toEqual([{ kind: 'unresolved' }]);
      expect(buttons(edit)[1]).toBe(`archive:${w.groupId}`);
      expect(followup).toBe('Unresolved');
    });
  });

  test('resolve in the next release from the ephemeral dialog: the dialog becomes a confirmation, the alert is refreshed by the bot', async () => {
    await fx.insertRelease(stack.db, w.orgId, w.projectId, '1.0.0', new Date('2026-11-01T00:00:00Z'));
    const { result, edit, followup } = await act(
      { kind: 'resolve', value: 'inNextRelease' },
      { ephemeral: true, recordAs: 'resolve-next-release-dialog' }
    );
    expect(result.changes).toEqual([{ kind: 'resolved_in_next_release' }]);
    expect(edit).toMatchObject({ content: 'Resolved in the next release', components: [], embeds: [] });
    expect(followup).toBe('Resolved in the next release');
    const alert = discord.messages(CHANNEL).find((m) => m.id === ALERT)!;
    expect(JSON.stringify(alert.components)).toContain(`unresolve:${w.groupId}`);
    const replies = discord.messages(CHANNEL).filter((m) => m.id !== ALERT);
    expect(replies.map((m) => m.content)).toEqual(['Resolved in the next release from Discord jane.discord']);
    expect(await stack.db('group_resolutions').where({ group_id: w.groupId, type: 'in_next_release' })).toHaveLength(1);
  });

  test('an invalid assignee is skipped with the reason and a follow-up, not a crash', async () => {
    const started = await startInteraction(stack, discord, w, { action: { kind: 'assign', value: 'user:987654' } });
    const result = await interactionResult(stack.client, started.workflowId);
    await record(started.workflowId, 'invalid-assignee');
    expect(sim(started).originalEdits).toHaveLength(0);
    const followup = sim(started)
      .followups.map((f) => f.content)
      .join('\n');
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'user 987654 does not exist' });
    expect(followup).toBe('Could not assign: user 987654 does not exist.');
  });

  test('an unlinked user is asked to link; once linked, the original action is applied and the message edited', async () => {
    const bobId = await fx.insertUser(stack.db, {
      username: 'bob',
      name: 'Bob Stone',
      emails: [{ email: 'bob@example.com' }],
    });
    await fx.addMember(stack.db, w.orgId, bobId);
    const bob = { id: '4500000000000000077', username: 'bob.discord' };
    const started = await startInteraction(stack, discord, w, {
      action: { kind: 'resolve', value: 'immediately' },
      user: bob,
    });
    const asked = await eventually(
      () => sim(started).followups,
      (f) => f.length === 1
    );
    expect(asked).toHaveLength(1);
    expect(asked[0]!.flags).toBe(64);
    const url = /(https:\/\/\S+\/link\/(\S+))/.exec(asked[0]!.content);
    expect(url?.[1]).toMatch(new RegExp(`^${PUBLIC_URL}/link/`));
    const claims = verifyLinkToken(url![2]!, LINK_SECRET);
    expect(claims).toMatchObject({ provider: 'discord', integrationId: w.discordId, chatUserId: bob.id });
    expect(claims.workflowId).toBe(started.workflowId);
    expect(sim(started).originalEdits).toHaveLength(0);
    expect(Number((await stack.db('groups').where('id', w.groupId).first('status')).status)).toBe(0);

    await fx.insertIdentity(stack.db, { idpId: w.idpId, userId: bobId, externalId: bob.id });
    // The payload is only a wake-up: the run trusts the identities table.
    await stack.client.workflow.getHandle(started.workflowId).signal(identityLinkedSignal, { userId: 1 });
    const result = await interactionResult(stack.client, started.workflowId);
    await record(started.workflowId, 'link-then-apply');
    expect(result).toMatchObject({ outcome: 'applied', userId: bobId, changes: [{ kind: 'resolved' }] });
    const s = sim(started);
    expect(s.originalEdits).toHaveLength(1);
    expect(field(s.originalEdits[0], 'Status')).toBe('Resolved');
    expect(s.followups.map((f) => f.content)).toEqual([asked[0]!.content, 'Resolved']);
    const history = await historyText(stack.client, started.workflowId);
    expect(history).not.toContain(started.token);
    expect(history).not.toContain(url![2]!);
    expect(history).not.toContain('/link/');
    expect(history).not.toContain('bob@example.com');
    expect(history).not.toContain(JANE.email);
    expect(history).not.toContain(LINK_SECRET);
  });

  test('a linked user who is not a member of the org is told so, and the delivery is skipped', async () => {
    const carlId = await fx.insertUser(stack.db, { username: 'carl', name: 'Carl' });
    const carl = { id: '4500000000000000088', username: 'carl.discord' };
    await fx.insertIdentity(stack.db, { idpId: w.idpId, userId: carlId, externalId: carl.id });
    const started = await startInteraction(stack, discord, w, { action: { kind: 'archive' }, user: carl });
    const result = await interactionResult(stack.client, started.workflowId);
    await record(started.workflowId, 'not-a-member');
    expect(result).toMatchObject({ outcome: 'skipped', userId: carlId });
    expect(result.reason).toContain('not a member of the organization');
    const s = sim(started);
    expect(s.originalEdits).toHaveLength(0);
    expect(s.followups.map((f) => f.content)).toEqual([
      'You must be a member of the organization this issue belongs to in order to act on it.',
    ]);
    expect(await delivery(stack.db, started.deliveryId)).toMatchObject({ status: 'skipped', reason: result.reason });
    expect(Number((await stack.db('groups').where('id', w.groupId).first('status')).status)).toBe(0);
  });

  test('a group of another org (where this Discord server is not installed) is refused', async () => {
    const otherOrg = await fx.insertOrg(stack.db, 'globex');
    const otherProject = await fx.insertProject(stack.db, otherOrg, 'web');
    const otherGroup = await fx.insertGroup(stack.db, otherProject, { shortId: 7 });
    await fx.addMember(stack.db, otherOrg, w.janeId);
    const started = await startInteraction(stack, discord, w, { action: { kind: 'archive' }, groupId: otherGroup });
    const result = await interactionResult(stack.client, started.workflowId);
    expect(result.outcome).toBe('skipped');
    expect(result.reason).toContain('not installed for the organization');
    expect(sim(started).followups.map((f) => f.content)).toEqual([
      "This Discord server is not connected to this issue's organization.",
    ]);
    expect(await delivery(stack.db, started.deliveryId)).toMatchObject({ status: 'skipped' });
    expect(Number((await stack.db('groups').where('id', otherGroup).first('status')).status)).toBe(0);
  });

  test('When the interaction token has expired, Then the change still applies, the bot refreshes the alert, and the delivery says what was not sent', async () => {
    const started = await startInteraction(stack, discord, w, { action: { kind: 'archive' }, expired: true });
    const result = await interactionResult(stack.client, started.workflowId);
    expect(result.outcome).toBe('applied');
    expect(result.reason).toContain('Discord message not edited');
    expect(result.reason).toContain('expired');
    expect(result.reason).toContain('Discord follow-up not sent');
    expect(result.reason).not.toContain(started.token);
    expect(discord.calls.filter((c) => c.route === 'editOriginal' || c.route === 'createFollowup')).toHaveLength(0);
    const alert = discord.messages(CHANNEL).find((m) => m.id === ALERT)!;
    expect(JSON.stringify(alert.components)).toContain(`mark_ongoing:${w.groupId}`);
    expect(await delivery(stack.db, started.deliveryId)).toMatchObject({ status: 'applied', reason: result.reason });
  });

  test('a Discord assignment is pushed on to the linked Jira issue (as a child run) and the history holds no secret', async () => {
    const { started, result } = await act({ kind: 'assign', value: `user:${w.janeId}` });
    expect(result.outcome).toBe('applied');
    expect(jira.issue('APP-123')!.assigneeAccountId).toBe(JANE.accountId);
    const child = stack.client.workflow.getHandle(`${started.workflowId}-assignee-${w.externalIssueId}`);
    expect(await child.result()).toMatchObject({ outcome: 'applied' });
    const history = await historyText(stack.client, started.workflowId);
    expect(history).toContain(`Apply the Discord change to group ${w.groupId}`);
    expect(history).not.toContain(started.token);
    expect(history).not.toContain(JANE.email);
    expect(history).not.toContain(BOT_TOKEN);
  });
});

test('When the worker is killed after the message edit (follow-up held), Then one edit and one follow-up', async () => {
  const child = await spawnWorker(stack, { LINK_SECRET, PUBLIC_URL });
  const held = discord.holdNext((c) => c.route === 'createFollowup');
  let started: StartedInteraction;
  try {
    started = await startInteraction(stack, discord, w, { action: { kind: 'assign', value: `team:${w.teamId}` } });
    await held.arrived; // Discord posted the follow-up; the worker never hears back.
  } finally {
    await kill(child);
  }
  discord.releaseAll();
  const worker = await startLinkingWorker(stack);
  try {
    const result = await interactionResult(stack.client, started.workflowId);
    expect(result.outcome).toBe('applied');
  } finally {
    await worker.stop();
  }
  const s = sim(started);
  expect(s.originalEdits).toHaveLength(1);
  expect(s.followups.map((f) => f.content)).toEqual(['Assigned to #backend']);
  expect(await stack.db('activities').where({ group_id: w.groupId, type: 11 })).toHaveLength(1);
  expect(
    await stack.db('outbound_messages').where('idempotency_key', 'like', `discord:${started.interactionId}:%`)
  ).toHaveLength(1);
  expect((await delivery(stack.db, started.deliveryId)).status).toBe('applied');
});

test('When linking is not configured (no LINK_SECRET), Then the unlinked user is told so and the delivery is skipped', async () => {
  await stack.startWorker(); // the stack's config has no link secret
  try {
    const started = await startInteraction(stack, discord, w, {
      action: { kind: 'archive' },
      user: { id: '4500000000000000066', username: 'dora.discord' },
    });
    const result = await interactionResult(stack.client, started.workflowId);
    expect(result).toMatchObject({
      outcome: 'skipped',
      reason: 'Discord user not linked; account linking is not configured',
      userId: null,
    });
    const s = sim(started);
    expect(s.originalEdits).toHaveLength(0);
    expect(s.followups).toHaveLength(1);
    expect(s.followups[0]!.content).toContain('account linking is not configured');
    expect(s.followups[0]!.content).not.toContain('/link/');
    expect(await delivery(stack.db, started.deliveryId)).toMatchObject({ status: 'skipped', reason: result.reason });
  } finally {
    await stack.stopWorker();
  }
});
