/**
 * Tracker → Jira: PUT /api/groups/:id changes the group through the shared hubs and pushes the assignee and
 * status to every linked Jira issue (simulator, real REST paths and Connect JWTs), except back to the site a
 * change came from.
 */
import type { Stack } from '../support/stack';
import { useJiraSuite } from '../support/jira-suite';
import type { JiraSimulator } from '../support/jira-simulator';
import { startJiraSimulator } from '../support/jira-simulator';
import * as fx from '../support/fixtures';
import { signConnectJwt } from '../support/jira-jwt';
import type { World } from '../support/jira-world';
import { JANE, issuePayload, recordHistory, resultOf, sendWebhook } from '../support/jira-world';
import { STATUS, api, mapProject, seedJiraIssue } from '../support/outbound-world';

const suite = useJiraSuite({ emailScope: true });
let stack: Stack;
let jira: JiraSimulator;
let w: World;

beforeEach(async () => {
  ({ stack, jira, w } = suite);
  await seedJiraIssue(stack.db, jira, w);
  jira.addUser({ accountId: JANE.accountId, displayName: JANE.displayName, email: JANE.email, emailVisible: true });
});

const put = (body: unknown, key?: string) =>
  api(stack.api, 'PUT', `/api/groups/${w.groupId}`, body, key ? { 'idempotency-key': key } : {});
const record = async (workflowId: string, name: string) => {
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, workflowId, name);
};

describe('assignee push', () => {
  test('When the API assigns Jane, Then the group changes and Jira gets her accountId', async () => {
    const res = await put({ assignedTo: `user:${w.janeId}` }, 'put-assign');
    expect(res.status).toBe(200);
    expect(res.body.group.assignee).toMatchObject({ type: 'user', id: w.janeId });
    expect(res.body.result.pushes).toEqual([{ outcome: 'applied', reason: null, kind: 'assignee', key: 'APP-123' }]);
    expect(jira.issue('APP-123')!.assigneeAccountId).toBe(JANE.accountId);
    const act = await stack.db('activities').where({ group_id: w.groupId, type: 11 }).first();
    expect(act.data).toEqual({ assignee: String(w.janeId), assigneeType: 'user' });
    await record('api-put-assign', 'api-assign');
    await record('api-put-assign-assignee-' + w.externalIssueId, 'push-assignee');
  });

  test('When Jira hides the email, Then the user/email API finds the account (email scope)', async () => {
    jira.reset();
    await seedJiraIssue(stack.db, jira, w).catch(() => undefined);
    jira.addUser({
      accountId: 'acc-jane-hidden',
      displayName: JANE.displayName,
      email: JANE.email,
      emailVisible: false,
    });
    const res = await put({ assignedTo: `user:${w.janeId}` });
    expect(res.body.result.pushes[0].outcome).toBe('applied');
    expect(jira.issue('APP-123')!.assigneeAccountId).toBe('acc-jane-hidden');
    expect(jira.callsTo('GET', '/rest/api/3/user/email').length).toBeGreaterThan(0);
  });

  test('When no Jira user matches, Then the push is skipped with the reason and Jira is untouched', async () => {
    const bob = await fx.insertUser(stack.db, { username: 'bob', name: 'Bob', emails: [{ email: 'bob@example.com' }] });
    await fx.addMember(stack.db, w.orgId, bob, [w.teamId]);
    const res = await put({ assignedTo: `user:${bob}` }, 'put-nouser');
    expect(res.body.result.pushes).toEqual([
      {
        outcome: 'skipped',
        reason: "no Jira user on APP-123 matches the assignee's verified emails",
        kind: 'assignee',
        key: 'APP-123',
      },
    ]);
    expect(jira.callsTo('PUT', '/rest/api/2/issue/APP-123/assignee')).toHaveLength(0);
    await record('api-put-nouser-assignee-' + w.externalIssueId, 'push-assignee-no-jira-user');
  });

  test('When a team is assigned, Then nothing is pushed; unassigning the team does not clear Jira', async () => {
    jira.issue('APP-123')!.assigneeAccountId = JANE.accountId;
    await put({ assignedTo: `team:${w.teamId}` });
    const res = await put({ assignedTo: null });
    expect(res.body.result.pushes[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'the removed assignee was a team; Jira keeps its assignee',
    });
    expect(jira.issue('APP-123')!.assigneeAccountId).toBe(JANE.accountId);
    expect(jira.callsTo('PUT', '/rest/api/2/issue/APP-123/assignee')).toHaveLength(0);
  });

  test('When Jane is unassigned, Then Jira gets accountId null', async () => {
    await put({ assignedTo: `user:${w.janeId}` });
    const res = await put({ assignedTo: null });
    expect(res.body.result.pushes[0].outcome).toBe('applied');
    expect(jira.callsTo('PUT', '/rest/api/2/issue/APP-123/assignee').map((c) => c.body)).toEqual([
      { accountId: JANE.accountId },
      { accountId: null },
    ]);
  });

  test('When the org has forward assignment off, Then nothing is pushed and the reason says so', async () => {
    await stack
      .db('organization_integrations')
      .update({ config: { ...fx.ALL_JIRA_SYNC, sync_forward_assignment: false } });
    const res = await put({ assignedTo: `user:${w.janeId}` });
    expect(res.body.result.pushes).toEqual([
      { outcome: 'skipped', reason: 'assignee sync disabled for org acme', kind: 'plan', key: '' },
    ]);
    expect(jira.calls.filter((c) => c.method !== 'GET')).toHaveLength(0);
  });
});

describe('status push', () => {
  test('When the API resolves, Then Jira is transitioned to the mapped Done status through a fresh transition list', async () => {
    const res = await put({ status: 'resolved' }, 'put-resolve');
    expect(res.body.group.status).toBe(1);
    expect(res.body.result.pushes).toEqual([{ outcome: 'applied', reason: null, kind: 'status', key: 'APP-123' }]);
    expect(jira.issue('APP-123')!.statusId).toBe(STATUS.done);
    expect(jira.callsTo('GET', '/rest/api/2/issue/APP-123/transitions')).toHaveLength(1);
    await record('api-put-resolve', 'api-resolve');
    await record('api-put-resolve-status-' + w.externalIssueId, 'push-status');
  });

  test('When Jira is already at the target, Then no transition is posted', async () => {
    jira.issue('APP-123')!.statusId = STATUS.done;
    const res = await put({ status: 'resolved' });
    expect(res.body.result.pushes[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'APP-123 is already in the mapped status',
    });
    expect(jira.callsTo('POST', '/rest/api/2/issue/APP-123/transitions')).toHaveLength(0);
  });

  test('When no transition leads to the target, Then the push is skipped with the reason', async () => {
    jira.setTransitions('APP-123', [{ id: '21', name: 'Start', toStatusId: STATUS.inProgress }]);
    const res = await put({ status: 'resolved' }, 'put-notransition');
    expect(res.body.result.pushes[0].reason).toBe('no transition from "To Do" to status 10101 on APP-123');
    await record('api-put-notransition-status-' + w.externalIssueId, 'push-status-no-transition');
  });

  test('When the Jira project is not mapped, Then nothing is pushed and the reason names the project', async () => {
    await stack.db('external_projects').delete();
    const res = await put({ status: 'resolved' });
    expect(res.body.result.pushes[0].reason).toBe('Jira project APP has no status mapping for org acme');
  });

  test('When the group is archived, Then nothing is pushed', async () => {
    const res = await put({ status: 'ignored', statusDetails: { substatus: 'archived_forever' } });
    expect(res.body.group.status).toBe(2);
    expect(res.body.result.pushes).toEqual([]);
    expect((await stack.db('activities').where({ group_id: w.groupId, type: 3 }).first()).data.substatus).toBe(
      'archived_forever'
    );
  });
});

describe('echo prevention', () => {
  test('When Jira site A assigns, Then the change is not pushed back to A but a second site B receives it', async () => {
    const siteB = await startJiraSimulator({ clientKey: 'jira-site-2', sharedSecret: 'second-secret-0123456789' });
    try {
      const integrationB = await fx.insertJiraIntegration(stack.db, {
        clientKey: 'jira-site-2',
        sharedSecret: 'second-secret-0123456789',
        baseUrl: siteB.baseUrl,
      });
      await fx.installIntegration(stack.db, w.orgId, integrationB, fx.ALL_JIRA_SYNC);
      await fx.linkExternalIssue(stack.db, {
        groupId: w.groupId,
        orgId: w.orgId,
        integrationId: integrationB,
        key: 'OPS-9',
        externalId: '20009',
      });
      siteB.addProject({ id: '20000', key: 'OPS' });
      siteB.addIssue({ key: 'OPS-9', id: '20009', projectId: '20000', projectKey: 'OPS' });
      siteB.addUser({ accountId: 'acc-jane-b', displayName: JANE.displayName, email: JANE.email, emailVisible: true });

      const sent = await sendWebhook(
        stack.api,
        issuePayload({
          changedFields: ['assignee'],
          updated: new Date().toISOString(),
          assignee: { ...JANE, emailAddress: JANE.email },
        }),
        { identifier: 'loop-1' }
      );
      const result = await resultOf(stack.client, sent.body.workflowId, 'jira-assign-pushed-to-other-site');
      expect(result.outcome).toBe('applied');
      expect(siteB.issue('OPS-9')!.assigneeAccountId).toBe('acc-jane-b');
      expect(jira.calls.filter((c) => c.method !== 'GET')).toHaveLength(0);

      // Site B echoes the assignment back: nothing changes, no activity is written, nothing is pushed anywhere.
      const echoPayload = issuePayload({
        changedFields: ['assignee'],
        updated: new Date().toISOString(),
        issue: { id: '20009', key: 'OPS-9' },
        assignee: { accountId: 'acc-jane-b', emailAddress: JANE.email },
      });
      const token = signConnectJwt({
        clientKey: 'jira-site-2',
        sharedSecret: 'second-secret-0123456789',
        method: 'POST',
        path: '/webhooks/jira/issue-updated',
      });
      const echo = await sendWebhook(stack.api, echoPayload, { identifier: 'loop-echo', token });
      const echoed = await resultOf(stack.client, echo.body.workflowId);
      expect(echoed.outcome).toBe('skipped');
      expect(await stack.db('activities').where({ group_id: w.groupId, type: 11 })).toHaveLength(1);
      expect(siteB.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
      expect(jira.calls.filter((c) => c.method !== 'GET')).toHaveLength(0);
    } finally {
      await siteB.close();
    }
  });

  test('When the API resolves, Then status goes out; when Jira then reports Done, Then nothing is pushed again', async () => {
    await put({ status: 'resolved' });
    const sent = await sendWebhook(
      stack.api,
      issuePayload({ changedFields: ['status'], updated: new Date().toISOString(), statusCategoryKey: 'done' }),
      { identifier: 'loop-status' }
    );
    const result = await resultOf(stack.client, sent.body.workflowId);
    expect(result.outcome).toBe('skipped');
    expect(jira.callsTo('POST', '/rest/api/2/issue/APP-123/transitions')).toHaveLength(1);
    expect(await stack.db('activities').where({ group_id: w.groupId, type: 1 })).toHaveLength(1);
  });
});

describe('validation', () => {
  test.each([
    [{}, '(body): give status and/or assignedTo'],
    [{ assignedTo: 'jane' }, 'assignedTo: must be user:<id>, team:<id> or null'],
    [{ assignedTo: 'user:99999999999999999999' }, 'assignedTo: must be user:<id>, team:<id> or null'],
    [{ status: 'resolved', actorUserId: 1e20 }, 'actorUserId:'],
    [{ status: 'done' }, 'status:'],
    [
      { status: 'unresolved', statusDetails: { inNextRelease: true } },
      'statusDetails: release details need status resolved',
    ],
  ])('When the body is %j, Then 400 says what is wrong and nothing changes', async (body, message) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
    expect(await stack.db('activities')).toHaveLength(0);
  });

  test('When the user is not in the org or the group does not exist, Then 400 / 404', async () => {
    const stranger = await fx.insertUser(stack.db, { username: 'x', name: 'X' });
    expect((await put({ assignedTo: `user:${stranger}` })).body.error.message).toBe(
      `assignedTo: user ${stranger} is not a member of the group's organization`
    );
    expect((await api(stack.api, 'PUT', '/api/groups/99999', { status: 'resolved' })).status).toBe(404);
    const huge = await api(stack.api, 'PUT', '/api/groups/99999999999999999999', { status: 'resolved' });
    expect([huge.status, huge.body.error.message]).toEqual([400, 'id: must be a positive integer']);
  });
});

test('When the same Idempotency-Key is sent twice, Then the change is applied once and both answers agree', async () => {
  const first = await put({ assignedTo: `user:${w.janeId}` }, 'same-key');
  const second = await put({ assignedTo: `user:${w.janeId}` }, 'same-key');
  expect(second.body.workflowId).toBe(first.body.workflowId);
  expect(second.body.result).toEqual(first.body.result);
  expect(jira.callsTo('PUT', '/rest/api/2/issue/APP-123/assignee')).toHaveLength(1);
  expect(await stack.db('activities').where({ type: 11 })).toHaveLength(1);
});

test('mapProject helper is exercised for a second project', async () => {
  await mapProject(stack.db, w.orgId, w.integrationId, '10099');
  expect(await stack.db('external_projects')).toHaveLength(2);
});
