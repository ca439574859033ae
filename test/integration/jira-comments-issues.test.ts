/**
 * Comments mirrored to Jira, and Jira issues created, linked and unlinked from a group — each through its
 * workflow, against the Jira simulator. A note is never posted twice, and an issue never created twice, even
 * when the worker dies right after Jira answered.
 */
import type { Stack } from '../support/stack';
import { useJiraSuite } from '../support/jira-suite';
import type { JiraSimulator } from '../support/jira-simulator';
import * as fx from '../support/fixtures';
import type { World } from '../support/jira-world';
import { JANE, recordHistory, resultOf } from '../support/jira-world';
import { STATUS, api, seedJiraIssue } from '../support/outbound-world';
import { kill, spawnWorker } from '../support/worker-child';

const suite = useJiraSuite();
let stack: Stack;
let jira: JiraSimulator;
let w: World;

beforeEach(async () => {
  ({ stack, jira, w } = suite);
  await seedJiraIssue(stack.db, jira, w);
  jira.addUser({ accountId: JANE.accountId, displayName: JANE.displayName, email: JANE.email, emailVisible: true });
});

const record = async (workflowId: string, name: string) => {
  if (process.env.RECORD_HISTORIES === '1') await recordHistory(stack.client, workflowId, name);
};
const comment = (text: string, key?: string) =>
  api(
    stack.api,
    'POST',
    `/api/groups/${w.groupId}/comments`,
    { text, userId: w.janeId },
    key ? { 'idempotency-key': key } : {}
  );
const jiraComments = () => jira.issue('APP-123')!.comments;

describe('comments', () => {
  test('When a note is posted, Then it becomes one Jira comment and the note remembers its id', async () => {
    const res = await comment('Looks like a null deref in the parser');
    expect(res.status).toBe(201);
    expect(res.body.syncs).toHaveLength(1);
    const result = await resultOf(stack.client, res.body.syncs[0].workflowId, 'sync-comment-created');
    expect(result).toMatchObject({ outcome: 'applied' });
    expect(jiraComments().map((c) => c.body)).toEqual([
      'Jane Doe wrote:\n\n{quote}Looks like a null deref in the parser{quote}',
    ]);
    const note = await stack.db('activities').where({ id: res.body.noteId }).first();
    expect([note.type, note.data.external_id]).toEqual([8, jiraComments()[0]!.id]);
    expect(
      await stack.db('group_subscriptions').where({ group_id: w.groupId, user_id: w.janeId, reason: 1 })
    ).toHaveLength(1);
  });

  test('When the note is edited, Then the same Jira comment is updated', async () => {
    const res = await comment('first version');
    await resultOf(stack.client, res.body.syncs[0].workflowId);
    const edit = await api(stack.api, 'PUT', `/api/groups/${w.groupId}/comments/${res.body.noteId}`, {
      text: 'second {quote}version',
    });
    expect(edit.status).toBe(200);
    await resultOf(stack.client, edit.body.syncs[0].workflowId, 'sync-comment-edited');
    expect(jiraComments()).toHaveLength(1);
    expect(jiraComments()[0]!.body).toBe('Jane Doe wrote:\n\n{quote}second \\{quote\\}version{quote}');
    expect(jira.callsTo('PUT', `/rest/api/2/issue/APP-123/comment/${jiraComments()[0]!.id}`)).toHaveLength(1);
  });

  test('When Jira answers a storm of 429s, Then every note is still posted exactly once', async () => {
    jira.failNext({ method: 'POST', pathPrefix: '/rest/api/2/issue/APP-123/comment' }, 4, {
      status: 429,
      headers: { 'Retry-After': '1' },
    });
    const notes = await Promise.all(['one', 'two', 'three'].map((t) => comment(t)));
    await Promise.all(notes.map((n) => resultOf(stack.client, n.body.syncs[0].workflowId)));
    expect(
      jiraComments()
        .map((c) => c.body)
        .sort()
    ).toEqual(['one', 'three', 'two'].map((t) => `Jane Doe wrote:\n\n{quote}${t}{quote}`));
    expect(jira.callsTo('POST', '/rest/api/2/issue/APP-123/comment').filter((c) => c.status === 429)).toHaveLength(4);
  });

  test('When the worker dies after Jira created the comment, Then the retry finds it and posts nothing more', async () => {
    await stack.stopWorker();
    const child = await spawnWorker(stack);
    try {
      jira.holdNext({ method: 'POST', pathPrefix: '/rest/api/2/issue/APP-123/comment' });
      const res = await comment('posted once');
      for (let i = 0; i < 200 && jiraComments().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(jiraComments()).toHaveLength(1); // Jira acted; our worker never hears back
      await kill(child);
      jira.releaseAll();
      await stack.startWorker();
      const result = await resultOf(stack.client, res.body.syncs[0].workflowId, 'sync-comment-after-crash');
      expect(result).toMatchObject({ outcome: 'applied' });
      expect(jiraComments()).toHaveLength(1);
      expect(await stack.db('external_comments')).toHaveLength(1);
      expect(jira.callsTo('POST', '/rest/api/2/issue/APP-123/comment')).toHaveLength(1);
    } finally {
      await kill(child);
      await stack.stopWorker();
      await stack.startWorker();
    }
  });

  test('When the org does not sync comments, Then the note is saved and nothing goes to Jira', async () => {
    await stack.db('organization_integrations').update({ config: { ...fx.ALL_JIRA_SYNC, sync_comments: false } });
    const res = await comment('internal only');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ syncs: [], skipped: ['comment sync disabled for org acme'] });
  });

  test('When the input is wrong, Then 400/404 name the problem and nothing is written', async () => {
    expect(
      (await api(stack.api, 'POST', `/api/groups/${w.groupId}/comments`, { text: '', userId: w.janeId })).body.error
        .message
    ).toBe('text: must not be empty');
    const stranger = await fx.insertUser(stack.db, { username: 's', name: 'S' });
    expect(
      (await api(stack.api, 'POST', `/api/groups/${w.groupId}/comments`, { text: 'x', userId: stranger })).status
    ).toBe(400);
    expect((await api(stack.api, 'POST', '/api/groups/424242/comments', { text: 'x', userId: w.janeId })).status).toBe(
      404
    );
    expect((await api(stack.api, 'PUT', `/api/groups/${w.groupId}/comments/999`, { text: 'x' })).status).toBe(404);
    expect(await stack.db('activities')).toHaveLength(0);
  });
});

describe('create, link, unlink', () => {
  let fresh: number;
  beforeEach(async () => {
    fresh = await fx.insertGroup(stack.db, w.projectId, { shortId: 77, title: 'KeyError: user_id' });
    await stack.db('group_assignees').insert({ project_id: w.projectId, group_id: fresh, user_id: w.janeId });
  });
  const create = (groupId: number, body: Record<string, unknown> = {}, key?: string) =>
    api(
      stack.api,
      'POST',
      `/api/groups/${groupId}/external-issues`,
      { integrationId: w.integrationId, project: 'APP', issuetype: 'Bug', ...body },
      key ? { 'idempotency-key': key } : {}
    );

  test("When an issue is created, Then it is linked with Jira's id, activity 7 is written and the assignee is pushed at once", async () => {
    const res = await create(fresh, {}, 'create-1');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: 'APP-124', url: `${jira.baseUrl}/browse/APP-124` });
    const issue = jira.issue('APP-124')!;
    expect(issue.summary).toBe('KeyError: user_id');
    expect(issue.assigneeAccountId).toBe(JANE.accountId);
    expect(res.body.pushes).toEqual(
      expect.arrayContaining([
        { outcome: 'applied', reason: null, kind: 'assignee', key: 'APP-124' },
        { outcome: 'skipped', reason: 'APP-124 is already in the mapped status', kind: 'status', key: 'APP-124' },
      ])
    );
    const row = await stack.db('external_issues').where({ key: 'APP-124' }).first();
    expect(row.external_id).toBe(issue.id);
    expect(await stack.db('group_links').where({ group_id: fresh, linked_type: 3, linked_id: row.id })).toHaveLength(1);
    const act = await stack.db('activities').where({ group_id: fresh, type: 7 }).first();
    expect(act.data).toMatchObject({ provider: 'jira', label: 'APP-124', new: true });
    await record('create-issue-create-1', 'create-issue');
  });

  test('When Jira requires a custom field, Then the caller gets the field errors and nothing is linked', async () => {
    jira.setRequiredFields('APP', { customfield_10010: 'Account is required.' });
    const res = await create(fresh, {}, 'create-400');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      name: 'JiraFieldErrors',
      fieldErrors: { customfield_10010: 'Account is required.' },
    });
    expect(await stack.db('group_links').where({ group_id: fresh })).toHaveLength(0);
    expect(await stack.db('activities').where({ group_id: fresh, type: 7 })).toHaveLength(0);
    await record('create-issue-create-400', 'create-issue-field-errors');
    const ok = await create(fresh, { fields: { customfield_10010: { id: '1' } } });
    expect(ok.status).toBe(201);
  });

  test('When the group already has an issue on this site, Then 409 before Jira is called', async () => {
    const res = await create(w.groupId);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(`group ${w.groupId} is already linked to APP-123 on this Jira site`);
    expect(jira.callsTo('POST', '/rest/api/2/issue')).toHaveLength(0);
  });

  test('When two creates for one group and site arrive at once, Then one issue is created and the other gets 409', async () => {
    const [a, b] = await Promise.all([create(fresh, {}, 'race-a'), create(fresh, {}, 'race-b')]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect(jira.callsTo('POST', '/rest/api/2/issue').filter((c) => c.path === '/rest/api/2/issue')).toHaveLength(1);
    expect(await stack.db('group_links').where({ group_id: fresh })).toHaveLength(1);
    const again = await create(fresh, {}, a.status === 201 ? 'race-a' : 'race-b');
    expect(again.status).toBe(201);
    expect(jira.callsTo('POST', '/rest/api/2/issue').filter((c) => c.path === '/rest/api/2/issue')).toHaveLength(1);
  });

  test('When the linked issue is removed, Then the group may get a new issue on that site', async () => {
    const first = await create(fresh, {}, 'claim-1');
    expect(first.status).toBe(201);
    expect((await create(fresh, {}, 'claim-2')).status).toBe(409);
    const del = await api(
      stack.api,
      'DELETE',
      `/api/groups/${fresh}/external-issues?externalIssue=${first.body.externalIssueId}`
    );
    expect(del.status).toBe(204);
    expect(await stack.db('jira_issue_claims').where({ group_id: fresh })).toHaveLength(0);
    expect((await create(fresh, {}, 'claim-3')).status).toBe(201);
  });

  test('When the worker dies after Jira created the issue, Then the retry finds it by its property and creates no second one', async () => {
    await stack.stopWorker();
    const child = await spawnWorker(stack);
    try {
      jira.holdNext({ method: 'POST', pathPrefix: '/rest/api/2/issue' });
      const pending = create(fresh, {}, 'create-crash');
      for (let i = 0; i < 200 && !jira.issue('APP-124'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(jira.issue('APP-124')).toBeDefined();
      await kill(child);
      jira.releaseAll();
      await stack.startWorker();
      const res = await pending;
      const result: Record<string, any> =
        res.status === 201 ? res.body : await resultOf(stack.client, 'create-issue-create-crash');
      expect(result.key).toBe('APP-124');
      expect(jira.issue('APP-125')).toBeUndefined();
      expect(jira.callsTo('POST', '/rest/api/2/issue').filter((c) => c.path === '/rest/api/2/issue')).toHaveLength(1);
      expect(await stack.db('group_links').where({ group_id: fresh })).toHaveLength(1);
    } finally {
      await kill(child);
      await stack.stopWorker();
      await stack.startWorker();
    }
  });

  test('When an existing key is linked, Then Jira is read first and activity 7 says new: false; 404 and 409 otherwise', async () => {
    jira.addIssue({
      key: 'APP-200',
      id: '10200',
      projectId: '10000',
      projectKey: 'APP',
      summary: 'Existing bug',
      statusId: STATUS.todo,
    });
    const link = (key: string) =>
      api(
        stack.api,
        'PUT',
        `/api/groups/${fresh}/external-issues`,
        { integrationId: w.integrationId, externalIssue: key },
        { 'idempotency-key': `link-${key}` }
      );
    const res = await link('APP-200');
    expect(res.status).toBe(201);
    expect((await stack.db('activities').where({ group_id: fresh, type: 7 }).first()).data).toMatchObject({
      label: 'APP-200',
      new: false,
    });
    await record('link-issue-link-APP-200', 'link-issue');
    expect((await link('APP-999')).status).toBe(404);
    const calls = jira.calls.length;
    expect((await link('APP-200')).status).toBe(409);
    expect(jira.calls.length).toBe(calls);
  });

  test('When a link is removed, Then 204 and the external issue goes once nothing links it; 404 when not linked', async () => {
    const del = (groupId: number, id: number) =>
      api(stack.api, 'DELETE', `/api/groups/${groupId}/external-issues?externalIssue=${id}`);
    expect((await del(w.groupId, w.externalIssueId)).status).toBe(204);
    expect(await stack.db('external_issues').where('id', w.externalIssueId)).toHaveLength(0);
    expect((await del(w.groupId, w.externalIssueId)).status).toBe(404);
    expect((await api(stack.api, 'DELETE', `/api/groups/${w.groupId}/external-issues`)).status).toBe(400);
  });
});
