/**
 * The Jira activities against a FAKE JiraClient (injected through `clientFor`) and the real test database: what
 * each activity reads from Postgres, which Jira calls it makes (asserted from the fake's record, in order), what
 * it returns, and which failures it throws. No Temporal worker and no HTTP: the activities are plain functions.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Knex } from 'knex';
import type { JiraActivities } from '../../src/activities/jira/activities';
import { createJiraActivities } from '../../src/activities/jira/activities';
import { JiraResponseError } from '../../src/activities/jira/errors';
import type { JiraSiteRecord } from '../../src/activities/jira/site';
import type { JiraClient, JiraIssue } from '../../src/activities/jira/types';
import { jiraWikiQuote } from '../../src/activities/jira/wiki';
import { linkExternalIssue } from '../../src/activities/tracker/outbound';
import { createDb } from '../../src/db';
import { emailSha256 } from '../../src/domain/hash';
import { HttpError } from '../../src/http';
import * as fx from '../support/fixtures';
import { truncateAll } from '../support/stack';

const BASE_URL = 'https://acme.atlassian.net';
const JANE = { accountId: 'acc-jane', email: 'jane@example.com', name: 'Jane Doe' };
const STATUS = { todo: '10000', done: '10101' };

type Method = keyof JiraClient;
type Call = [Method, ...unknown[]];

/** Every JiraClient method; `satisfies` fails the build when the interface gains one this list lacks. */
const METHODS = Object.keys({
  getUserEmail: 1,
  findAssignableUsers: 1,
  setAssignee: 1,
  getIssue: 1,
  getTransitions: 1,
  transitionIssue: 1,
  createIssue: 1,
  addComment: 1,
  updateComment: 1,
  listComments: 1,
  searchIssues: 1,
} satisfies Record<Method, 1>) as Method[];

interface FakeJira {
  /** Every call on any client handed out, in order, with its arguments. */
  readonly calls: Call[];
  /** The sites `clientFor` was asked for. */
  readonly sites: JiraSiteRecord[];
  readonly activities: JiraActivities;
}

/** Activities over a fake client: methods in `impl` answer, any other method is an unexpected call and throws. */
function fakeJira(db: Knex, impl: Partial<JiraClient> = {}): FakeJira {
  const calls: Call[] = [];
  const sites: JiraSiteRecord[] = [];
  const entries = METHODS.map((m) => [
    m,
    async (...args: unknown[]): Promise<unknown> => {
      calls.push([m, ...args]);
      const answer = impl[m] as ((...a: unknown[]) => Promise<unknown>) | undefined;
      if (!answer) throw new Error(`unexpected Jira call ${m}`);
      return answer(...args);
    },
  ]);
  const client = Object.fromEntries(entries) as unknown as JiraClient;
  const activities = createJiraActivities({
    db,
    clientFor: (site) => {
      sites.push(site);
      return client;
    },
  });
  return { calls, sites, activities };
}

function issue(o: { assignee?: string | null; statusId?: string; statusName?: string } = {}): JiraIssue {
  return {
    id: '10001',
    key: 'APP-123',
    fields: {
      summary: 'TypeError: x is undefined',
      description: 'from the tracker',
      status: { id: o.statusId ?? STATUS.todo, name: o.statusName ?? 'To Do', statusCategory: { key: 'new' } },
      project: { id: '10000', key: 'APP' },
      assignee: o.assignee ? { accountId: o.assignee } : null,
    },
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

interface World {
  orgId: number;
  projectId: number;
  teamId: number;
  janeId: number;
  integrationId: number;
  groupId: number;
  externalIssueId: number;
}

let db: Knex;
let w: World;

async function seed(o: { emailScope?: boolean } = {}): Promise<World> {
  const orgId = await fx.insertOrg(db, 'acme');
  const projectId = await fx.insertProject(db, orgId, 'backend');
  const teamId = await fx.insertTeam(db, orgId, 'backend', [projectId]);
  const janeId = await fx.insertUser(db, { username: 'jane', name: JANE.name, emails: [{ email: JANE.email }] });
  await fx.addMember(db, orgId, janeId, [teamId]);
  const integrationId = await fx.insertJiraIntegration(db, {
    clientKey: 'jira-site-1',
    sharedSecret: 'not-used-by-a-fake',
    baseUrl: BASE_URL,
    emailScope: o.emailScope ?? false,
  });
  await fx.installIntegration(db, orgId, integrationId, fx.ALL_JIRA_SYNC);
  const groupId = await fx.insertGroup(db, projectId, { shortId: 42 });
  const externalIssueId = await fx.linkExternalIssue(db, { groupId, orgId, integrationId, key: 'APP-123' });
  return { orgId, projectId, teamId, janeId, integrationId, groupId, externalIssueId };
}

async function assign(o: { userId?: number; teamId?: number }): Promise<void> {
  await db('group_assignees').insert({
    project_id: w.projectId,
    group_id: w.groupId,
    user_id: o.userId ?? null,
    team_id: o.teamId ?? null,
  });
}

async function linkJaneToAccount(): Promise<void> {
  await db('external_actors').insert({
    organization_id: w.orgId,
    integration_id: w.integrationId,
    user_id: w.janeId,
    external_id: JANE.accountId,
  });
}

async function mapStatuses(): Promise<void> {
  const oi = await db('organization_integrations').where({ organization_id: w.orgId }).first('id');
  await db('external_projects').insert({
    organization_integration_id: oi.id,
    external_id: '10000',
    name: 'APP',
    resolved_status: STATUS.done,
    unresolved_status: STATUS.todo,
  });
}

beforeAll(() => {
  db = createDb(process.env.TEST_DATABASE_URL!);
});
afterAll(async () => {
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  w = await seed();
});

describe('jiraPushAssignee', () => {
  it('skips without a write when Jira already has the assignee', async () => {
    await assign({ userId: w.janeId });
    await linkJaneToAccount();
    const jira = fakeJira(db, { getIssue: () => Promise.resolve(issue({ assignee: JANE.accountId })) });

    const r = await jira.activities.jiraPushAssignee({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'skipped', reason: 'Jira already has this assignee' });
    expect(jira.calls).toEqual([['getIssue', 'APP-123']]);
    expect(jira.sites).toEqual([expect.objectContaining({ integrationId: w.integrationId, baseUrl: BASE_URL })]);
  });

  it('refuses an http loopback base_url when ALLOW_HTTP_LOOPBACK is off (the policy reaches the activities)', async () => {
    await assign({ userId: w.janeId });
    await db('integrations')
      .where('id', w.integrationId)
      .update({ metadata: db.raw(`metadata || '{"base_url": "http://127.0.0.1:9"}'::jsonb`) });
    const sites: unknown[] = [];
    const strict = createJiraActivities({
      db,
      clientFor: (site) => {
        sites.push(site);
        throw new Error('no client may be built for a refused site');
      },
      policy: { allowHttpLoopback: false },
    });
    await expect(
      strict.jiraPushAssignee({ groupId: w.groupId, externalIssueId: w.externalIssueId })
    ).rejects.toMatchObject({ type: 'IntegrationMisconfigured', nonRetryable: true });
    expect(sites).toHaveLength(0);
  });

  it('finds the Jira user by verified email, remembers the account, and sets the assignee', async () => {
    await assign({ userId: w.janeId });
    const jira = fakeJira(db, {
      findAssignableUsers: () =>
        Promise.resolve([
          { accountId: 'acc-other', emailAddress: 'someone@example.com' },
          { accountId: JANE.accountId, emailAddress: 'Jane@Example.com ' },
        ]),
      getIssue: () => Promise.resolve(issue({ assignee: null })),
      setAssignee: () => Promise.resolve(),
    });

    const r = await jira.activities.jiraPushAssignee({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'applied', reason: null });
    expect(jira.calls).toEqual([
      ['findAssignableUsers', 'APP-123', JANE.email],
      ['getIssue', 'APP-123'],
      ['setAssignee', 'APP-123', JANE.accountId],
    ]);
    const actors = await db('external_actors').where({ user_id: w.janeId }).pluck('external_id');
    expect(actors).toEqual([JANE.accountId]);
  });

  it('unassigns in Jira when the group lost its user assignee', async () => {
    const jira = fakeJira(db, {
      getIssue: () => Promise.resolve(issue({ assignee: JANE.accountId })),
      setAssignee: () => Promise.resolve(),
    });

    const r = await jira.activities.jiraPushAssignee({
      groupId: w.groupId,
      externalIssueId: w.externalIssueId,
      previousAssigneeType: 'user',
    });

    expect(r.outcome).toBe('applied');
    expect(jira.calls).toEqual([
      ['getIssue', 'APP-123'],
      ['setAssignee', 'APP-123', null],
    ]);
  });

  it('never pushes a team assignment, and does not even build a client', async () => {
    await assign({ teamId: w.teamId });
    const jira = fakeJira(db);

    const r = await jira.activities.jiraPushAssignee({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'skipped', reason: 'team assignments are not pushed to Jira' });
    expect(jira.calls).toEqual([]);
    expect(jira.sites).toEqual([]);
  });

  it('skips when no assignable Jira user has one of the verified emails', async () => {
    await assign({ userId: w.janeId });
    const jira = fakeJira(db, { findAssignableUsers: () => Promise.resolve([{ accountId: 'acc-hidden' }]) });

    const r = await jira.activities.jiraPushAssignee({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({
      outcome: 'skipped',
      reason: "no Jira user on APP-123 matches the assignee's verified emails",
    });
    expect(jira.calls).toEqual([['findAssignableUsers', 'APP-123', JANE.email]]);
  });

  it('maps a 429 from the client to a retryable RateLimited failure', async () => {
    await assign({ userId: w.janeId });
    await linkJaneToAccount();
    const jira = fakeJira(db, {
      getIssue: () => Promise.reject(new HttpError('Jira', 'issue', 429, '7', null)),
    });

    const f = await failureOf(
      jira.activities.jiraPushAssignee({ groupId: w.groupId, externalIssueId: w.externalIssueId })
    );

    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 7_000 });
  });
});

describe('jiraPushStatus', () => {
  beforeEach(async () => {
    await db('groups').where('id', w.groupId).update({ status: 1 });
  });

  it('skips when the Jira project has no status mapping for the org', async () => {
    const jira = fakeJira(db, { getIssue: () => Promise.resolve(issue()) });

    const r = await jira.activities.jiraPushStatus({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'skipped', reason: 'Jira project APP has no status mapping for org acme' });
    expect(jira.calls).toEqual([['getIssue', 'APP-123']]);
  });

  it('skips when Jira offers no transition to the mapped status', async () => {
    await mapStatuses();
    const jira = fakeJira(db, {
      getIssue: () => Promise.resolve(issue()),
      getTransitions: () => Promise.resolve([{ id: '21', name: 'Start', to: { id: '3', name: 'In Progress' } }]),
    });

    const r = await jira.activities.jiraPushStatus({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({
      outcome: 'skipped',
      reason: `no transition from "To Do" to status ${STATUS.done} on APP-123`,
    });
    expect(jira.calls).toEqual([
      ['getIssue', 'APP-123'],
      ['getTransitions', 'APP-123'],
    ]);
  });

  it('transitions to the status mapped for resolved', async () => {
    await mapStatuses();
    const jira = fakeJira(db, {
      getIssue: () => Promise.resolve(issue()),
      getTransitions: () =>
        Promise.resolve([
          { id: '21', name: 'Start', to: { id: '3', name: 'In Progress' } },
          { id: '31', name: 'Done', to: { id: STATUS.done, name: 'Done' } },
        ]),
      transitionIssue: () => Promise.resolve(),
    });

    const r = await jira.activities.jiraPushStatus({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'applied', reason: null });
    expect(jira.calls).toEqual([
      ['getIssue', 'APP-123'],
      ['getTransitions', 'APP-123'],
      ['transitionIssue', 'APP-123', '31'],
    ]);
  });

  it('skips without asking for transitions when Jira is already in the mapped status', async () => {
    await mapStatuses();
    const jira = fakeJira(db, {
      getIssue: () => Promise.resolve(issue({ statusId: STATUS.done, statusName: 'Done' })),
    });

    const r = await jira.activities.jiraPushStatus({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'skipped', reason: 'APP-123 is already in the mapped status' });
    expect(jira.calls).toEqual([['getIssue', 'APP-123']]);
  });

  it('pushes nothing for an archived group', async () => {
    await db('groups').where('id', w.groupId).update({ status: 2 });
    const jira = fakeJira(db);

    const r = await jira.activities.jiraPushStatus({ groupId: w.groupId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'skipped', reason: 'only resolved and unresolved are pushed to Jira' });
    expect(jira.calls).toEqual([]);
  });
});

describe('jiraSyncComment', () => {
  let noteId: number;
  let noteKey: string;
  const body = jiraWikiQuote(JANE.name, 'It crashes on {start}');

  beforeEach(async () => {
    const [row] = await db('activities')
      .insert({
        project_id: w.projectId,
        group_id: w.groupId,
        type: 8,
        user_id: w.janeId,
        data: { text: 'It crashes on {start}' },
      })
      .returning('id');
    noteId = Number(row.id);
    noteKey = `note-${noteId}-ei-${w.externalIssueId}`;
  });

  it('creates the comment with its noteKey property when Jira has none of ours', async () => {
    const jira = fakeJira(db, {
      listComments: () => Promise.resolve([{ id: 'c-1', body: 'someone else', properties: [] }]),
      addComment: () => Promise.resolve({ id: 'c-2' }),
    });

    const r = await jira.activities.jiraSyncComment({ noteId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'applied', reason: null, commentId: 'c-2', action: 'created' });
    expect(jira.calls).toEqual([
      ['listComments', 'APP-123', { expandProperties: true }],
      ['addComment', 'APP-123', body, [{ key: 'issue-sync', value: { noteKey } }]],
    ]);
  });

  it('adopts the comment a crashed attempt posted (found by its property) instead of posting again', async () => {
    const jira = fakeJira(db, {
      listComments: () =>
        Promise.resolve([
          { id: 'c-1', body: 'someone else', properties: [{ key: 'issue-sync', value: { noteKey: 'note-0-ei-0' } }] },
          { id: 'c-7', body, properties: [{ key: 'issue-sync', value: { noteKey } }] },
        ]),
    });

    const r = await jira.activities.jiraSyncComment({ noteId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'applied', reason: null, commentId: 'c-7', action: 'adopted' });
    expect(jira.calls).toEqual([['listComments', 'APP-123', { expandProperties: true }]]);
  });

  it('adopts and brings up to date an adopted comment whose text is stale', async () => {
    const jira = fakeJira(db, {
      listComments: () =>
        Promise.resolve([{ id: 'c-7', body: 'old', properties: [{ key: 'issue-sync', value: { noteKey } }] }]),
      updateComment: () => Promise.resolve(),
    });

    const r = await jira.activities.jiraSyncComment({ noteId, externalIssueId: w.externalIssueId });

    expect(r.action).toBe('adopted');
    expect(jira.calls).toEqual([
      ['listComments', 'APP-123', { expandProperties: true }],
      ['updateComment', 'APP-123', 'c-7', body],
    ]);
  });

  it('updates the comment it already recorded, without listing', async () => {
    await db('external_comments').insert({
      activity_id: noteId,
      external_issue_id: w.externalIssueId,
      comment_id: 'c-5',
    });
    const jira = fakeJira(db, { updateComment: () => Promise.resolve() });

    const r = await jira.activities.jiraSyncComment({ noteId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'applied', reason: null, commentId: 'c-5', action: 'updated' });
    expect(jira.calls).toEqual([['updateComment', 'APP-123', 'c-5', body]]);
  });

  it('posts again when the recorded comment was deleted in Jira (404)', async () => {
    await db('external_comments').insert({
      activity_id: noteId,
      external_issue_id: w.externalIssueId,
      comment_id: 'c-5',
    });
    const jira = fakeJira(db, {
      updateComment: () => Promise.reject(new HttpError('Jira', 'issue/comment/update', 404, null, null)),
      listComments: () => Promise.resolve([]),
      addComment: () => Promise.resolve({ id: 'c-6' }),
    });

    const r = await jira.activities.jiraSyncComment({ noteId, externalIssueId: w.externalIssueId });

    expect(r).toEqual({ outcome: 'applied', reason: null, commentId: 'c-6', action: 'created' });
    expect(jira.calls.map((c) => c[0])).toEqual(['updateComment', 'listComments', 'addComment']);
  });

  it('skips when the note is gone', async () => {
    const jira = fakeJira(db);

    const r = await jira.activities.jiraSyncComment({ noteId: noteId + 1000, externalIssueId: w.externalIssueId });

    expect(r).toEqual({
      outcome: 'skipped',
      reason: 'the note or the link was removed',
      commentId: null,
      action: 'none',
    });
    expect(jira.calls).toEqual([]);
  });
});

describe('jiraCreateIssue', () => {
  const fields = { project: { key: 'APP' }, issuetype: { name: 'Bug' }, summary: 'TypeError' };
  const jql = 'issue.property[issue-sync].requestId = "req-1"';

  it('reuses the issue a crashed attempt created (found by its requestId property)', async () => {
    const jira = fakeJira(db, {
      searchIssues: () => Promise.resolve([{ id: '10050', key: 'APP-7', fields: { summary: 'TypeError' } }]),
    });

    const r = await jira.activities.jiraCreateIssue({ requestId: 'req-1', integrationId: w.integrationId, fields });

    expect(r).toEqual({ id: '10050', key: 'APP-7', url: `${BASE_URL}/browse/APP-7`, reused: true });
    expect(jira.calls).toEqual([['searchIssues', jql, { fields: ['summary'] }]]);
  });

  it('creates the issue with its requestId property when none is found', async () => {
    const jira = fakeJira(db, {
      searchIssues: () => Promise.resolve([]),
      createIssue: () => Promise.resolve({ id: '10051', key: 'APP-8', self: `${BASE_URL}/rest/api/2/issue/10051` }),
    });

    const r = await jira.activities.jiraCreateIssue({ requestId: 'req-1', integrationId: w.integrationId, fields });

    expect(r).toEqual({ id: '10051', key: 'APP-8', url: `${BASE_URL}/browse/APP-8`, reused: false });
    expect(jira.calls).toEqual([
      ['searchIssues', jql, { fields: ['summary'] }],
      ['createIssue', fields, [{ key: 'issue-sync', value: { requestId: 'req-1' } }]],
    ]);
  });

  it("turns Jira's 400 field errors into a non-retryable JiraFieldErrors failure carrying them", async () => {
    const jira = fakeJira(db, {
      searchIssues: () => Promise.resolve([]),
      createIssue: () =>
        Promise.reject(
          new HttpError('Jira', 'issue/create', 400, null, {
            errorMessages: ['Check the fields'],
            errors: { summary: 'You must specify a summary of the issue.' },
          })
        ),
    });

    const f = await failureOf(
      jira.activities.jiraCreateIssue({ requestId: 'req-1', integrationId: w.integrationId, fields })
    );

    expect(f.type).toBe('JiraFieldErrors');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toBe('Jira rejected the issue: summary');
    expect(f.details).toEqual([
      { fieldErrors: { summary: 'You must specify a summary of the issue.' }, messages: ['Check the fields'] },
    ]);
    expect(jira.calls.map((c) => c[0])).toEqual(['searchIssues', 'createIssue']);
  });

  it('a create answer of the wrong shape is a non-retryable BadResponse', async () => {
    const jira = fakeJira(db, {
      searchIssues: () => Promise.resolve([]),
      createIssue: () => Promise.reject(new JiraResponseError('Jira', 'issue/create', ['key'])),
    });

    const f = await failureOf(
      jira.activities.jiraCreateIssue({ requestId: 'req-1', integrationId: w.integrationId, fields })
    );

    expect(f).toMatchObject({ type: 'BadResponse', nonRetryable: true });
  });

  it('refuses a request id that is not safe in JQL, before calling Jira', async () => {
    const jira = fakeJira(db);

    const f = await failureOf(
      jira.activities.jiraCreateIssue({ requestId: 'x" OR 1=1', integrationId: w.integrationId, fields })
    );

    expect(f).toMatchObject({ type: 'BadRequest', nonRetryable: true });
    expect(jira.calls).toEqual([]);
    expect(jira.sites).toEqual([]);
  });
});

describe('jiraGetIssueForLink', () => {
  it('reads the issue to link', async () => {
    const jira = fakeJira(db, { getIssue: () => Promise.resolve(issue()) });

    const r = await jira.activities.jiraGetIssueForLink({ integrationId: w.integrationId, key: 'APP-123' });

    expect(r).toEqual({
      id: '10001',
      key: 'APP-123',
      title: 'TypeError: x is undefined',
      description: 'from the tracker',
      url: `${BASE_URL}/browse/APP-123`,
    });
    expect(jira.calls).toEqual([['getIssue', 'APP-123']]);
  });

  it('a missing issue is a non-retryable NotFound', async () => {
    const jira = fakeJira(db, { getIssue: () => Promise.reject(new HttpError('Jira', 'issue', 404, null, null)) });

    const f = await failureOf(jira.activities.jiraGetIssueForLink({ integrationId: w.integrationId, key: 'APP-9' }));

    expect(f).toMatchObject({ type: 'NotFound', nonRetryable: true });
  });
});

describe('jiraResolveAssigneeEmail', () => {
  it('uses the hash from the payload without asking Jira', async () => {
    const jira = fakeJira(db);

    const r = await jira.activities.jiraResolveAssigneeEmail({
      integrationId: w.integrationId,
      accountId: JANE.accountId,
      emailSha256: 'a'.repeat(64),
    });

    expect(r).toEqual({
      target: { kind: 'email', emailSha256: 'a'.repeat(64), accountId: JANE.accountId },
      via: 'payload',
    });
    expect(jira.calls).toEqual([]);
  });

  it('uses a known external actor without asking Jira', async () => {
    await linkJaneToAccount();
    const jira = fakeJira(db);

    const r = await jira.activities.jiraResolveAssigneeEmail({
      integrationId: w.integrationId,
      accountId: JANE.accountId,
      emailSha256: null,
    });

    expect(r).toEqual({ target: { kind: 'actor', accountId: JANE.accountId }, via: 'external_actor' });
    expect(jira.calls).toEqual([]);
  });

  it('gives up without a client when the app has no email scope', async () => {
    const jira = fakeJira(db);

    const r = await jira.activities.jiraResolveAssigneeEmail({
      integrationId: w.integrationId,
      accountId: JANE.accountId,
      emailSha256: null,
    });

    expect(r).toEqual({
      target: null,
      via: 'none',
      reason: 'no email for the Jira assignee (Jira hides it and the app has no email scope)',
    });
    expect(jira.calls).toEqual([]);
    expect(jira.sites).toEqual([]);
  });

  it("with the email scope, asks Jira's email API once and returns only the hash", async () => {
    await db('integrations')
      .where('id', w.integrationId)
      .update({ metadata: db.raw(`metadata || '{"email_scope": true}'::jsonb`) });
    const jira = fakeJira(db, { getUserEmail: () => Promise.resolve(' Jane@Example.com') });
    const input = { integrationId: w.integrationId, accountId: JANE.accountId, emailSha256: null };

    const first = await jira.activities.jiraResolveAssigneeEmail(input);
    const second = await jira.activities.jiraResolveAssigneeEmail(input);

    const expected = {
      target: { kind: 'email', emailSha256: emailSha256(JANE.email), accountId: JANE.accountId },
      via: 'jira_api',
    };
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    expect(JSON.stringify(first).toLowerCase()).not.toContain(JANE.email);
    expect(jira.calls).toEqual([['getUserEmail', JANE.accountId]]);
  });

  it('with the email scope, reports when Jira returns no email', async () => {
    await db('integrations')
      .where('id', w.integrationId)
      .update({ metadata: db.raw(`metadata || '{"email_scope": true}'::jsonb`) });
    const jira = fakeJira(db, { getUserEmail: () => Promise.resolve(null) });

    const r = await jira.activities.jiraResolveAssigneeEmail({
      integrationId: w.integrationId,
      accountId: JANE.accountId,
      emailSha256: null,
    });

    expect(r).toEqual({ target: null, via: 'none', reason: 'Jira returned no email for the assignee' });
    expect(jira.calls).toEqual([['getUserEmail', JANE.accountId]]);
  });
});

describe('linkExternalIssue (tracker)', () => {
  it('a deleted group is a non-retryable NotFound, and nothing is written', async () => {
    const groupId = w.groupId + 1000;

    const f = await failureOf(
      linkExternalIssue(db, {
        groupId,
        integrationId: w.integrationId,
        key: 'APP-8',
        externalId: '10051',
        title: 'TypeError',
        description: null,
        url: `${BASE_URL}/browse/APP-8`,
        created: true,
        userId: null,
        requestId: 'req-1',
      })
    );

    expect(f).toMatchObject({ type: 'NotFound', nonRetryable: true, message: `group ${groupId} not found` });
    expect(await db('external_issues').where('key', 'APP-8').count('* as n')).toEqual([{ n: '0' }]);
  });
});
