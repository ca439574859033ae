/**
 * The Jira inbound flow end to end: signed webhooks over HTTP → intake → jiraIssueUpdated on the real dev
 * server → activities against real Postgres, Redis and the Jira simulator. Assertions are on rows, simulator
 * calls and workflow results.
 */
import type { Stack } from '../support/stack';
import { useJiraSuite } from '../support/jira-suite';
import type { JiraSimulator } from '../support/jira-simulator';
import * as fx from '../support/fixtures';
import { signConnectJwt } from '../support/jira-jwt';
import type { World } from '../support/jira-world';
import { CLIENT_KEY, JANE, delivery, historyText, issuePayload, resultOf, sendWebhook } from '../support/jira-world';

const suite = useJiraSuite({ emailScope: true });
let stack: Stack;
let jira: JiraSimulator;
let w: World;

beforeEach(() => {
  ({ stack, jira, w } = suite);
  jira.addUser({ accountId: JANE.accountId, displayName: JANE.displayName, email: JANE.email, emailVisible: false });
});

const t = (minutes: number) => new Date(Date.UTC(2026, 10, 1, 12, minutes)).toISOString();

async function assignee(groupId = w.groupId) {
  return stack.db('group_assignees').where('group_id', groupId).first();
}
async function activities(type: number, groupId = w.groupId) {
  return stack.db('activities').where({ group_id: groupId, type });
}

async function run(payload: Record<string, unknown>, identifier: string, record?: string) {
  const sent = await sendWebhook(stack.api, payload, { identifier });
  expect(sent.status).toBe(202);
  const result = await resultOf(stack.client, sent.body.workflowId, record);
  return { sent, result, row: await delivery(stack.db, sent.body.deliveryId) };
}

describe('assignee chain', () => {
  test('When the payload carries the email, Then the group is assigned with activity, history and subscription', async () => {
    const payload = issuePayload({
      changedFields: ['assignee'],
      updated: t(1),
      assignee: { ...JANE, emailAddress: JANE.email },
    });
    const { result, row } = await run(payload, 'd-assign-payload', 'assign-by-payload-email');
    expect(result.outcome).toBe('applied');
    expect(row.status).toBe('applied');
    expect((await assignee())?.user_id).toBe(String(w.janeId));
    const acts = await activities(11);
    expect(acts).toHaveLength(1);
    expect(acts[0].data).toEqual({ assignee: String(w.janeId), assigneeType: 'user', integration: 'jira' });
    expect(await stack.db('group_history').where({ group_id: w.groupId, status: 5 })).toHaveLength(1);
    expect(
      await stack.db('group_subscriptions').where({ group_id: w.groupId, user_id: w.janeId, reason: 2 })
    ).toHaveLength(1);
    expect(jira.callsTo('GET', '/rest/api/3/user/email')).toHaveLength(0);
    // The email never reached the delivery row or the workflow history.
    expect(JSON.stringify(row)).not.toContain(JANE.email);
    const history = await historyText(stack.client, row.workflow_id);
    expect(history).toContain('Jane Doe');
    expect(history.toLowerCase()).not.toContain(JANE.email);
    // The accountId is learned, so later events resolve without an email.
    expect(await stack.db('external_actors').where({ external_id: JANE.accountId, user_id: w.janeId })).toHaveLength(1);
  });

  test('When Jira hides the email and the email API answers 429 once, Then it waits Retry-After and assigns', async () => {
    jira.failNext({ method: 'GET', pathPrefix: '/rest/api/3/user/email' }, 1, {
      status: 429,
      headers: { 'Retry-After': '1' },
    });
    const payload = issuePayload({
      changedFields: ['assignee'],
      updated: t(2),
      assignee: { accountId: JANE.accountId, displayName: JANE.displayName },
    });
    const { result } = await run(payload, 'd-hidden-429', 'hidden-email-after-429');
    expect(result.outcome).toBe('applied');
    expect((await assignee())?.user_id).toBe(String(w.janeId));
    const calls = jira.callsTo('GET', '/rest/api/3/user/email');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.time - calls[0]!.time).toBeGreaterThanOrEqual(900);
  });

  test('When the email API answers 403, Then the delivery is skipped with the reason, not retried, and the watermark moves', async () => {
    // A fresh account: the 429 test's lookup of Jane may still sit in the (≤ 240 s, in-memory) email cache.
    jira.addUser({ accountId: 'acc-hidden', displayName: 'Hidden', email: 'hidden@example.com', emailVisible: false });
    jira.failNext({ method: 'GET', pathPrefix: '/rest/api/3/user/email' }, 5, { status: 403 });
    const payload = issuePayload({ changedFields: ['assignee'], updated: t(3), assignee: { accountId: 'acc-hidden' } });
    const { result, row } = await run(payload, 'd-403', 'email-api-403');
    expect(result.outcome).toBe('skipped');
    expect(row.status).toBe('skipped');
    expect(row.reason).toMatch(/403/);
    expect(jira.callsTo('GET', '/rest/api/3/user/email')).toHaveLength(1);
    expect(await assignee()).toBeUndefined();
    const issue = await stack.db('external_issues').where('id', w.externalIssueId).first();
    expect(issue.assignee_updated_at.toISOString()).toBe(t(3));
  });

  test('When the assignee is removed in Jira, Then the group is unassigned with activity 12 and history 6', async () => {
    await run(
      issuePayload({ changedFields: ['assignee'], updated: t(4), assignee: { ...JANE, emailAddress: JANE.email } }),
      'd-u1'
    );
    const { result } = await run(
      issuePayload({ changedFields: ['assignee'], updated: t(5), assignee: null }),
      'd-u2',
      'unassign'
    );
    expect(result.outcome).toBe('applied');
    expect(await assignee()).toBeUndefined();
    expect(await activities(12)).toHaveLength(1);
    expect(await stack.db('group_history').where({ group_id: w.groupId, status: 6 })).toHaveLength(1);
    expect(await stack.db('group_subscriptions').where({ group_id: w.groupId, reason: 2 })).toHaveLength(0);
  });

  test('When the matching user does not reach the project through a team, Then nothing is assigned and the reason says why', async () => {
    const bob = await fx.insertUser(stack.db, { username: 'bob', name: 'Bob', emails: [{ email: 'bob@example.com' }] });
    await fx.addMember(stack.db, w.orgId, bob); // org member, but in no team of the project
    const { result, row } = await run(
      issuePayload({
        changedFields: ['assignee'],
        updated: t(6),
        assignee: { accountId: 'acc-bob', emailAddress: 'bob@example.com' },
      }),
      'd-noaccess',
      'user-without-project-access'
    );
    expect(result.outcome).toBe('skipped');
    expect(row.reason).toBe("the matching user has no access to the group's project");
    expect(await assignee()).toBeUndefined();
  });

  test('When an unverified email matches, Then it does not count', async () => {
    await fx.insertUser(stack.db, {
      username: 'eve',
      name: 'Eve',
      emails: [{ email: 'eve@example.com', verified: false }],
    });
    const { row } = await run(
      issuePayload({
        changedFields: ['assignee'],
        updated: t(7),
        assignee: { accountId: 'acc-eve', emailAddress: 'EVE@example.com' },
      }),
      'd-unverified'
    );
    expect(row.reason).toBe('no verified user for the Jira assignee');
  });

  test('When one Jira site serves two orgs and one has assignee sync off, Then only the other org changes', async () => {
    const org2 = await fx.insertOrg(stack.db, 'globex');
    const p2 = await fx.insertProject(stack.db, org2, 'web');
    const t2 = await fx.insertTeam(stack.db, org2, 'web', [p2]);
    await fx.addMember(stack.db, org2, w.janeId, [t2]);
    await fx.installIntegration(stack.db, org2, w.integrationId, {
      ...fx.ALL_JIRA_SYNC,
      sync_reverse_assignment: false,
    });
    const g2 = await fx.insertGroup(stack.db, p2);
    await fx.linkExternalIssue(stack.db, {
      groupId: g2,
      orgId: org2,
      integrationId: w.integrationId,
      key: 'APP-123',
      externalId: '10001',
    });
    const { result, row } = await run(
      issuePayload({ changedFields: ['assignee'], updated: t(8), assignee: { ...JANE, emailAddress: JANE.email } }),
      'd-two-orgs',
      'two-orgs-one-disabled'
    );
    expect(result.groupIds).toEqual([w.groupId]);
    expect(row.reason).toBe('assignee sync disabled for org globex');
    expect((await assignee())?.user_id).toBe(String(w.janeId));
    expect(await assignee(g2)).toBeUndefined();
  });

  test('When Jira delivers the same webhook twice, Then one workflow runs and one set of rows is written', async () => {
    const payload = issuePayload({
      changedFields: ['assignee'],
      updated: t(9),
      assignee: { ...JANE, emailAddress: JANE.email },
    });
    const first = await sendWebhook(stack.api, payload, { identifier: 'd-dup' });
    const second = await sendWebhook(stack.api, payload, {
      identifier: 'd-dup',
      headers: { 'x-atlassian-webhook-retry': '1' },
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ duplicate: true, workflowId: first.body.workflowId });
    await resultOf(stack.client, first.body.workflowId, 'duplicate-delivery');
    const third = await sendWebhook(stack.api, payload, { identifier: 'd-dup' });
    expect(third.status).toBe(200);
    expect(await activities(11)).toHaveLength(1);
    expect((await delivery(stack.db, first.body.deliveryId)).attempts).toBe(3);
    const runs = await stack.client.workflow.count(`WorkflowId = '${first.body.workflowId}'`);
    expect(runs.count).toBe(1);
  });

  test('When an older event arrives after a newer one, Then it changes nothing and is skipped as stale', async () => {
    const bob = await fx.insertUser(stack.db, { username: 'bob', name: 'Bob', emails: [{ email: 'bob@example.com' }] });
    await fx.addMember(stack.db, w.orgId, bob, [w.teamId]);
    await run(
      issuePayload({
        changedFields: ['assignee'],
        updated: t(20),
        assignee: { accountId: 'acc-bob', emailAddress: 'bob@example.com' },
      }),
      'd-new'
    );
    const { result, row } = await run(
      issuePayload({ changedFields: ['assignee'], updated: t(10), assignee: { ...JANE, emailAddress: JANE.email } }),
      'd-old',
      'out-of-order-stale'
    );
    expect(result.outcome).toBe('skipped');
    expect(row.reason).toBe('stale: newer assignee change already applied');
    expect((await assignee())?.user_id).toBe(String(bob));
    expect(await activities(11)).toHaveLength(1);
  });

  test('When the issue moved to another project, Then the link is re-keyed by Jira id', async () => {
    const payload = issuePayload({
      changedFields: ['Key', 'project'],
      updated: t(11),
      issue: { id: '10001', key: 'OPS-7', projectId: '10002', projectKey: 'OPS' },
      from: { key: 'APP-123' },
    });
    const { result } = await run(payload, 'd-move', 'issue-moved');
    expect(result.outcome).toBe('applied');
    expect((await stack.db('external_issues').where('id', w.externalIssueId).first()).key).toBe('OPS-7');
  });
});

describe('status chain', () => {
  test('When the issue moves to Done, Then the group is resolved (activity 1, history 1)', async () => {
    const { result } = await run(
      issuePayload({ changedFields: ['status'], updated: t(12), statusCategoryKey: 'done' }),
      'd-done',
      'done-resolves'
    );
    expect(result.outcome).toBe('applied');
    const g = await stack.db('groups').where('id', w.groupId).first();
    expect(g.status).toBe(1);
    expect(g.resolved_at).not.toBeNull();
    expect((await activities(1))[0].data).toEqual({ provider: 'jira', integration_id: w.integrationId });
    expect(await stack.db('group_history').where({ group_id: w.groupId, status: 1 })).toHaveLength(1);
  });

  test('When a resolved group is reopened in Jira, Then it is unresolved (ongoing)', async () => {
    await stack.db('groups').where('id', w.groupId).update({ status: 1 });
    const { result } = await run(
      issuePayload({ changedFields: ['status'], updated: t(13), statusCategoryKey: 'indeterminate' }),
      'd-reopen',
      'reopen-unresolves'
    );
    expect(result.outcome).toBe('applied');
    const g = await stack.db('groups').where('id', w.groupId).first();
    expect([g.status, g.substatus]).toEqual([0, 3]);
    expect(await activities(2)).toHaveLength(1);
  });

  test('When the group is archived, Then Jira Done leaves it alone', async () => {
    await stack.db('groups').where('id', w.groupId).update({ status: 2, substatus: 1 });
    const { result, row } = await run(
      issuePayload({ changedFields: ['status'], updated: t(14), statusCategoryKey: 'done' }),
      'd-archived',
      'archived-left-alone'
    );
    expect(result.outcome).toBe('skipped');
    expect(row.reason).toMatch(/^archived/);
    expect((await stack.db('groups').where('id', w.groupId).first()).status).toBe(2);
    expect(await activities(1)).toHaveLength(0);
  });

  test('When the org resolves in the next release, Then a resolution in the latest release is written (activity 13)', async () => {
    await stack
      .db('organization_integrations')
      .update({ config: { ...fx.ALL_JIRA_SYNC, resolution_strategy: 'resolve_next_release' } });
    await fx.insertRelease(stack.db, w.orgId, w.projectId, '1.0.0', new Date('2026-10-01'));
    const latest = await fx.insertRelease(stack.db, w.orgId, w.projectId, '1.1.0', new Date('2026-10-20'));
    const { result } = await run(
      issuePayload({ changedFields: ['status'], updated: t(15), statusCategoryKey: 'done' }),
      'd-next',
      'resolve-next-release'
    );
    expect(result.outcome).toBe('applied');
    const res = await stack.db('group_resolutions').where('group_id', w.groupId).first();
    expect([res.type, res.release_id]).toEqual(['in_next_release', String(latest)]);
    expect((await activities(13))[0].data).toMatchObject({ inNextRelease: true, version: '1.1.0' });
  });

  test('When the group is already resolved, Then Done writes nothing', async () => {
    await stack.db('groups').where('id', w.groupId).update({ status: 1 });
    const { row } = await run(
      issuePayload({ changedFields: ['status'], updated: t(16), statusCategoryKey: 'done' }),
      'd-noop'
    );
    expect(row.status).toBe('skipped');
    expect(row.reason).toBe('already resolved');
    expect(await stack.db('activities')).toHaveLength(0);
  });
});

describe('intake', () => {
  test('When the JWT is signed with the wrong secret, Then 401 and nothing is stored', async () => {
    const token = signConnectJwt({
      clientKey: CLIENT_KEY,
      sharedSecret: 'wrong',
      method: 'POST',
      path: '/webhooks/jira/issue-updated',
    });
    const res = await sendWebhook(
      stack.api,
      issuePayload({ changedFields: ['assignee'], updated: t(1), assignee: null }),
      { token }
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ name: 'SignatureError', message: 'bad signature' });
    expect(await stack.db('webhook_deliveries')).toHaveLength(0);
  });

  test('When the payload has no fields object, Then 400 names the path and nothing is stored', async () => {
    const payload = issuePayload({ changedFields: ['assignee'], updated: t(1), omitFields: true });
    const res = await sendWebhook(stack.api, payload);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^issue\.fields/);
    expect(await stack.db('webhook_deliveries')).toHaveLength(0);
  });

  test('When the body is not JSON, Then 400; when it is over 1 MiB, Then 413', async () => {
    expect((await sendWebhook(stack.api, null, { rawBody: '{nope' })).status).toBe(400);
    const big = await sendWebhook(stack.api, null, { rawBody: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) });
    expect(big.status).toBe(413);
    expect(await stack.db('webhook_deliveries')).toHaveLength(0);
  });

  test('When there is no changelog, Then 202 and the delivery is skipped without a workflow', async () => {
    const res = await sendWebhook(
      stack.api,
      issuePayload({ changedFields: ['assignee'], updated: t(1), omitChangelog: true }),
      { identifier: 'd-nocl' }
    );
    expect(res.status).toBe(202);
    const row = await delivery(stack.db, res.body.deliveryId);
    expect([row.status, row.reason, row.workflow_id]).toEqual(['skipped', 'no changelog', null]);
  });
});
