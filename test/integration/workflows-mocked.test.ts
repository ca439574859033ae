/**
 * The workflows' flow logic with fake activities: the real workflow code runs on the shared dev server
 * (globalSetup), and a worker on its own task queue registers jest functions with canned results under the real
 * activity names. No database, Jira or Discord: assertions are on which activities ran, with what, and what the
 * run returned.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { WorkflowStartOptions } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Workflow } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import type { ChatMessageRef } from '../../src/activities/tracker/chat';
import type { ApplyResult, ChangeSource, GroupChange } from '../../src/domain/model';
import type { groupUpdate, jiraIssueUpdated, syncAssigneeToJira } from '../../src/workflows';
import type { GroupUpdateInput, JiraIssueUpdatedInput } from '../../src/workflows/shared';
import { SA } from '../../src/workflows/shared';
import { historySteps } from '../support/history-steps';

type Name = keyof Activities;
type Fakes = { [K in Name]: jest.Mock<ReturnType<Activities[K]>, Parameters<Activities[K]>> };

const NOTHING: ApplyResult = { changed: [], skipped: [] };

/** What each fake answers unless a test says otherwise. */
const DEFAULTS: { [K in Name]: (...args: Parameters<Activities[K]>) => ReturnType<Activities[K]> } = {
  trackerMarkDeliveryRunning: () => Promise.resolve(),
  trackerFinishDelivery: () => Promise.resolve(),
  trackerFindLinkedGroups: () =>
    Promise.resolve({ externalIssueIds: [501], groupIds: [7], orgConfig: {}, skipped: [] }),
  trackerApplyInboundAssignee: () => Promise.resolve(NOTHING),
  trackerApplyInboundStatus: () => Promise.resolve(NOTHING),
  trackerRekeyExternalIssue: () => Promise.resolve({ rekeyed: 0 }),
  trackerListChatMessages: () => Promise.resolve([]),
  trackerApplyGroupChange: () => Promise.resolve(NOTHING),
  trackerPlanOutbound: () => Promise.resolve({ targets: [], skipped: [] }),
  trackerRecordExternalComment: () => Promise.resolve(),
  trackerLinkExternalIssue: () => Promise.resolve({ externalIssueId: 900 }),
  cacheInvalidateGroups: (input) => Promise.resolve({ invalidated: input.groupIds.length }),
  jiraResolveAssigneeEmail: (input) =>
    Promise.resolve({
      target: { kind: 'email', emailSha256: input.emailSha256 ?? 'hash', accountId: input.accountId },
      via: 'payload',
    }),
  jiraPushAssignee: () => Promise.resolve({ outcome: 'applied', reason: null }),
  jiraPushStatus: () => Promise.resolve({ outcome: 'applied', reason: null }),
  jiraSyncComment: () => Promise.resolve({ outcome: 'applied', reason: null, commentId: '10001', action: 'created' }),
  jiraCreateIssue: () =>
    Promise.resolve({ id: '10000', key: 'APP-9', url: 'https://jira.example/browse/APP-9', reused: false }),
  jiraGetIssueForLink: () =>
    Promise.resolve({ id: '10000', key: 'APP-9', title: 't', description: null, url: 'https://jira.example' }),
  discordRefreshAlert: () => Promise.resolve(),
  discordPostReply: () => Promise.resolve({ messageId: 'reply-1', alreadySent: false }),
  discordPostAlert: () => Promise.resolve({ messageId: 'alert-1', alreadySent: false }),
  discordEditOriginal: () => Promise.resolve({ messageId: 'original-1', ephemeral: false }),
  discordSendFollowup: () => Promise.resolve({ alreadySent: false, linkingConfigured: true }),
  trackerRecordChatMessage: () => Promise.resolve({ chatMessageId: 1 }),
  trackerResolveChatIdentity: () => Promise.resolve({ userId: null }),
  trackerCheckChatAction: () => Promise.resolve({ ok: true, organizationId: 1 }),
  trackerCheckTeamsTarget: () => Promise.resolve({ ok: true, workspaceId: 'team-1' }),
  trackerTeamsWorkspace: () => Promise.resolve({ workspaceId: 'team-1' }),
  trackerUnlinkChatIdentity: () => Promise.resolve({ wasLinked: true }),
  msteamsUpdateCard: () => Promise.resolve(),
  msteamsRefreshCard: () => Promise.resolve(),
  msteamsPostReply: () => Promise.resolve({ messageId: 'teams-reply-1', alreadySent: false }),
  msteamsSend: () => Promise.resolve({ alreadySent: false, linkingConfigured: true }),
  msteamsOpenPersonalConversation: () => Promise.resolve({ conversationId: 'a:personal-1' }),
  msteamsPostAlert: () =>
    Promise.resolve({ messageId: 'teams-alert-1', serviceUrl: 'https://smba.example/amer/', alreadySent: false }),
};

const fakes = Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, jest.fn()])) as unknown as Fakes;

function reset(): void {
  for (const name of Object.keys(DEFAULTS) as Name[]) {
    fakes[name].mockReset();
    fakes[name].mockImplementation(DEFAULTS[name] as never);
  }
}

const refused = (type: string) => () => Promise.reject(ApplicationFailure.nonRetryable(`Jira said no (${type})`, type));

let client: Client;
let connection: Connection;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `mocked-${randomUUID()}`;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the integration tests through jest (globalSetup sets it)`);
  return v;
}

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this module registry: fine.
  }
  const address = env('TEMPORAL_ADDRESS');
  nativeConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { codePath: env('WORKFLOW_BUNDLE_PATH') },
    activities: fakes,
  });
  running = worker.run();
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
});

beforeEach(reset);

const run = <T extends Workflow>(type: string, input: Parameters<T>[0]) => {
  const workflowId = `${type}-${randomUUID()}`;
  return {
    workflowId,
    result: client.workflow.execute<T>(type, {
      taskQueue,
      workflowId,
      args: [input],
    } as unknown as WorkflowStartOptions<T>),
  };
};

/** The UI summaries of the activities a run scheduled, in order. */
async function summaries(workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return historySteps(history).map((s) => s.summary ?? '');
}

const jiraInput = (overrides: Partial<JiraIssueUpdatedInput> = {}): JiraIssueUpdatedInput => ({
  deliveryId: 31,
  deliveryKey: `d-${randomUUID()}`,
  integrationId: 11,
  issue: { id: '10042', key: 'APP-1' },
  eventAt: '2026-11-01T12:00:00.000Z',
  assignee: { accountId: 'acc-jane', emailSha256: 'jane-hash' },
  ...overrides,
});

const assignedJane: GroupChange = { groupId: 7, kind: 'assigned', assigneeName: 'Jane Doe', assigneeType: 'user' };

const message = (id: number, provider: ChatMessageRef['provider'], groupId = 7): ChatMessageRef => ({
  id,
  groupId,
  integrationId: 40 + id,
  provider,
  channelId: `channel-${id}`,
  messageId: `message-${id}`,
  serviceUrl: null,
  conversationId: null,
});

describe('jiraIssueUpdated', () => {
  test('a stale event changes nothing: no cache, chat or push activity runs, and the delivery ends skipped', async () => {
    fakes.trackerApplyInboundAssignee.mockResolvedValue({
      changed: [],
      skipped: [{ groupId: 7, reason: 'stale: an event newer than this one was already applied' }],
    });
    const { result } = run<typeof jiraIssueUpdated>('jiraIssueUpdated', jiraInput());

    await expect(result).resolves.toMatchObject({ outcome: 'skipped', groupIds: [] });
    expect((await result).reason).toContain('stale');
    expect(fakes.cacheInvalidateGroups).not.toHaveBeenCalled();
    expect(fakes.trackerListChatMessages).not.toHaveBeenCalled();
    expect(fakes.discordRefreshAlert).not.toHaveBeenCalled();
    expect(fakes.discordPostReply).not.toHaveBeenCalled();
    expect(fakes.trackerPlanOutbound).not.toHaveBeenCalled();
    expect(fakes.trackerFinishDelivery).toHaveBeenCalledTimes(1);
    expect(fakes.trackerFinishDelivery).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'skipped' }));
  });

  test('Jira refusing the email lookup (403) advances the watermark only; the delivery ends skipped with the reason', async () => {
    fakes.jiraResolveAssigneeEmail.mockImplementation(refused('Forbidden'));
    const { result } = run<typeof jiraIssueUpdated>(
      'jiraIssueUpdated',
      jiraInput({ assignee: { accountId: 'acc-hidden', emailSha256: null } })
    );

    const r = await result;
    const reason = 'Jira refused the email lookup (403: the app may not read emails)';
    expect(r).toMatchObject({ outcome: 'skipped', reason });
    expect(fakes.jiraResolveAssigneeEmail).toHaveBeenCalledTimes(1); // a 403 is not retried
    expect(fakes.trackerApplyInboundAssignee).toHaveBeenCalledWith(
      expect.objectContaining({ externalIssueIds: [501], target: null })
    );
    expect(fakes.cacheInvalidateGroups).not.toHaveBeenCalled();
    expect(fakes.trackerFinishDelivery).toHaveBeenCalledWith({
      deliveryId: 31,
      outcome: 'skipped',
      reason,
      groupIds: [],
    });
  });

  test('an assignee change invalidates caches, refreshes and replies on every Discord and Teams message, and pushes on to the other site', async () => {
    fakes.trackerApplyInboundAssignee.mockResolvedValue({ changed: [assignedJane], skipped: [] });
    fakes.trackerListChatMessages.mockResolvedValue([
      message(1, 'discord'),
      message(2, 'discord'),
      message(3, 'msteams'),
    ]);
    // The plan leaves out the source site (integration 11); it answers with the issue on the other one.
    fakes.trackerPlanOutbound.mockResolvedValue({
      targets: [{ kind: 'assignee', externalIssueId: 602, integrationId: 22, key: 'OPS-9' }],
      skipped: [],
    });
    const input = jiraInput();
    const { workflowId, result } = run<typeof jiraIssueUpdated>('jiraIssueUpdated', input);

    const r = await result;
    expect(r).toMatchObject({ outcome: 'applied', groupIds: [7] });
    expect(r.reason).toBeNull();
    expect(fakes.msteamsRefreshCard.mock.calls.map(([a]) => a)).toEqual([{ chatMessageId: 3 }]);
    expect(fakes.msteamsPostReply.mock.calls.map(([a]) => a.idempotencyKey)).toEqual([
      `jira:${input.deliveryKey}:3:assigned`,
    ]);
    expect(fakes.cacheInvalidateGroups).toHaveBeenCalledWith({ groupIds: [7] });
    expect(fakes.trackerListChatMessages).toHaveBeenCalledWith({ groupIds: [7] });
    expect(
      fakes.discordRefreshAlert.mock.calls.map(([a]) => a).sort((a, b) => a.chatMessageId - b.chatMessageId)
    ).toEqual([{ chatMessageId: 1 }, { chatMessageId: 2 }]);
    const replies = fakes.discordPostReply.mock.calls.map(([a]) => a);
    expect(replies.map((a) => a.idempotencyKey).sort()).toEqual([
      `jira:${input.deliveryKey}:1:assigned`,
      `jira:${input.deliveryKey}:2:assigned`,
    ]);
    expect(replies[0]?.notice).toEqual({
      kind: 'assigned',
      assigneeName: 'Jane Doe',
      assigneeType: 'user',
      source: { provider: 'jira', label: 'APP-1' },
    });

    const source: ChangeSource = { provider: 'jira', integrationId: 11, key: input.deliveryKey, label: 'APP-1' };
    expect(fakes.trackerPlanOutbound).toHaveBeenCalledWith({ groupId: 7, kinds: ['assignee'], source });
    expect(fakes.jiraPushAssignee).toHaveBeenCalledTimes(1);
    expect(fakes.jiraPushAssignee).toHaveBeenCalledWith(expect.objectContaining({ groupId: 7, externalIssueId: 602 }));
    const child = client.workflow.getHandle(`${workflowId}-assignee-602`);
    await expect(child.result()).resolves.toEqual({ outcome: 'applied', reason: null });
    const described = await child.describe();
    expect(described.type).toBe('syncAssigneeToJira');
    expect(described.typedSearchAttributes.get(SA.ExternalIssueKey)).toBe('OPS-9');
    expect(described.typedSearchAttributes.get(SA.IntegrationId)).toBe('22');
  });

  test('a Discord message that cannot be refreshed is reported; the other messages are still refreshed and replied to', async () => {
    fakes.trackerApplyInboundAssignee.mockResolvedValue({ changed: [assignedJane], skipped: [] });
    fakes.trackerListChatMessages.mockResolvedValue([message(1, 'discord'), message(2, 'discord')]);
    fakes.discordRefreshAlert.mockImplementation((input) =>
      input.chatMessageId === 1
        ? Promise.reject(ApplicationFailure.nonRetryable('Unknown Message', 'NotFound'))
        : Promise.resolve()
    );
    const { result } = run<typeof jiraIssueUpdated>('jiraIssueUpdated', jiraInput());

    const r = await result;
    expect(r.outcome).toBe('applied');
    expect(r.reason).toBe('Discord message of group 7 not refreshed: Unknown Message');
    expect(fakes.discordPostReply).toHaveBeenCalledTimes(1);
    expect(fakes.discordPostReply).toHaveBeenCalledWith(expect.objectContaining({ chatMessageId: 2 }));
    expect(fakes.trackerFinishDelivery).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'applied' }));
  });
});

describe('groupUpdate', () => {
  const resolved: GroupChange = { groupId: 7, kind: 'resolved' };

  test('a change from Discord runs with its own source: applied, planned and announced as Discord', async () => {
    const source: ChangeSource = {
      provider: 'discord',
      integrationId: 33,
      key: 'interaction-1',
      label: 'jane',
      actorUserId: 42,
    };
    fakes.trackerApplyGroupChange.mockResolvedValue({ changed: [resolved], skipped: [] });
    fakes.trackerListChatMessages.mockResolvedValue([message(1, 'discord')]);
    const input: GroupUpdateInput = {
      requestId: `r-${randomUUID()}`,
      groupId: 7,
      actorUserId: 42,
      status: { target: 'resolved' },
      source,
    };
    const { workflowId, result } = run<typeof groupUpdate>('groupUpdate', input);

    await expect(result).resolves.toEqual({
      outcome: 'applied',
      reason: null,
      changes: [{ kind: 'resolved' }],
      pushes: [],
    });
    expect(fakes.trackerApplyGroupChange).toHaveBeenCalledWith({ groupId: 7, status: { target: 'resolved' }, source });
    expect(fakes.trackerPlanOutbound).toHaveBeenCalledWith({ groupId: 7, kinds: ['status'], source });
    expect(fakes.discordPostReply).toHaveBeenCalledWith(
      expect.objectContaining({
        idempotencyKey: 'discord:interaction-1:1:resolved',
        notice: { kind: 'resolved', source: { provider: 'discord', label: 'jane' } },
      })
    );
    expect((await summaries(workflowId))[0]).toBe('Apply the Discord change to group 7');
  });

  test('without a source the change is the API request (the summary recorded histories have)', async () => {
    fakes.trackerApplyGroupChange.mockResolvedValue({ changed: [assignedJane], skipped: [] });
    fakes.trackerPlanOutbound.mockResolvedValue({
      targets: [{ kind: 'assignee', externalIssueId: 603, integrationId: 22, key: 'OPS-10' }],
      skipped: [],
    });
    fakes.jiraPushAssignee.mockImplementation(refused('Forbidden'));
    const input: GroupUpdateInput = {
      requestId: `r-${randomUUID()}`,
      groupId: 7,
      actorUserId: 5,
      assignee: { kind: 'user', userId: 9 },
    };
    const { workflowId, result } = run<typeof groupUpdate>('groupUpdate', input);

    const r = await result;
    const source: ChangeSource = { provider: 'api', integrationId: null, key: input.requestId, actorUserId: 5 };
    expect(fakes.trackerApplyGroupChange).toHaveBeenCalledWith(expect.objectContaining({ source }));
    expect(fakes.trackerPlanOutbound).toHaveBeenCalledWith({ groupId: 7, kinds: ['assignee'], source });
    // A failed push child is reported in the result, not thrown.
    expect(r.pushes).toEqual([
      { outcome: 'failed', reason: 'Jira said no (Forbidden)', kind: 'assignee', key: 'OPS-10' },
    ]);
    expect((await summaries(workflowId))[0]).toBe('Apply the API change to group 7');
  });
});

describe('syncAssigneeToJira', () => {
  const input = {
    groupId: 7,
    externalIssueId: 602,
    key: 'OPS-9',
    integrationId: 22,
    previousAssigneeType: 'user' as const,
  };

  test('returns the push result and sets the Outcome search attribute', async () => {
    fakes.jiraPushAssignee.mockResolvedValue({ outcome: 'skipped', reason: 'Jira already shows Jane Doe' });
    const { workflowId, result } = run<typeof syncAssigneeToJira>('syncAssigneeToJira', input);

    await expect(result).resolves.toEqual({ outcome: 'skipped', reason: 'Jira already shows Jane Doe' });
    expect(fakes.jiraPushAssignee).toHaveBeenCalledWith({
      groupId: 7,
      externalIssueId: 602,
      previousAssigneeType: 'user',
    });
    const described = await client.workflow.getHandle(workflowId).describe();
    expect(described.typedSearchAttributes.get(SA.Outcome)).toBe('skipped');
  });

  test('a refused push fails the run without retrying', async () => {
    fakes.jiraPushAssignee.mockImplementation(refused('Unauthorized'));
    const { result } = run<typeof syncAssigneeToJira>('syncAssigneeToJira', input);

    await expect(result).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(fakes.jiraPushAssignee).toHaveBeenCalledTimes(1);
  });
});
