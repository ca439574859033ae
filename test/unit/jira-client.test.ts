import { createQueryStringHash, decodeSymmetric, SymmetricAlgorithm } from 'atlassian-jwt';
import { createJiraClient, JIRA_SEARCH_PATH } from '../../src/activities/jira/client';
import { createConnectJwt } from '../../src/activities/jira/connect-jwt';
import { jiraFieldErrors, JiraResponseError } from '../../src/activities/jira/errors';
import type { JiraClient, JiraSite } from '../../src/activities/jira/types';
import { jiraWikiQuote } from '../../src/activities/jira/wiki';
import { HttpError, NetworkError } from '../../src/http';
import {
  buildIssueUpdatedPayload,
  REMOVED_SEARCH_BODY,
  startJiraSimulator,
  type JiraSimulator,
  type RecordedCall,
} from '../support/jira-simulator';

const SECRET = 'unit-test-shared-secret';
const CLIENT_KEY = 'jira:unit-test-site';

let sim: JiraSimulator;
let site: JiraSite;
let jira: JiraClient;

beforeAll(async () => {
  sim = await startJiraSimulator({ clientKey: CLIENT_KEY, sharedSecret: SECRET });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.reset();
  site = { baseUrl: sim.baseUrl, clientKey: CLIENT_KEY, sharedSecret: SECRET };
  jira = createJiraClient(site, { timeoutMs: 5_000 });
  sim.addUser({
    accountId: 'acc-jane',
    displayName: 'Jane Doe',
    email: 'Jane.Doe+ops@example.com',
    emailVisible: true,
  });
  sim.addUser({
    accountId: 'acc-hidden',
    displayName: 'Hidden Person',
    email: 'hidden@example.com',
    emailVisible: false,
  });
  sim.addUser({
    accountId: 'acc-other',
    displayName: 'Other Team',
    email: 'jane.other@example.com',
    emailVisible: true,
    assignableFor: ['OTHER'],
  });
  sim.addProject({ id: '10000', key: 'APP' });
  sim.addIssue({ id: '101', key: 'APP-123', summary: 'Crash on start', statusId: '3' });
});

/** Awaits a promise that must reject and returns the rejection. */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** Requests to the enhanced search, oldest first; with `from`, only those after `sim.calls[from - 1]`. */
function searchCalls(from = 0): RecordedCall[] {
  return sim.calls.slice(from).filter((c) => c.method === 'GET' && c.path === JIRA_SEARCH_PATH);
}

/** `[maxResults, has a nextPageToken]` of one search request. */
function pageOf(call: RecordedCall): [string | undefined, boolean] {
  return [call.query.maxResults, call.query.nextPageToken !== undefined];
}

function keysOf(issues: ReadonlyArray<{ key: string }>): string[] {
  return issues.map((i) => i.key);
}

/** A GET to the simulator signed like the client signs it (query percent-encoded per RFC 3986). */
async function signedFetch(path: string, query: Record<string, string>): Promise<Response> {
  const token = createConnectJwt({ method: 'GET', path, query, issuer: 'issue-sync', sharedSecret: SECRET });
  const enc = (v: string): string =>
    encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const qs = Object.entries(query)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
  return fetch(`${sim.baseUrl}${path}?${qs}`, { headers: { authorization: `JWT ${token}` } });
}

describe('Connect JWT signing', () => {
  it('mints HS256 claims {iss, iat, exp = iat + 180, qsh} bound to method, path and query', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    const token = createConnectJwt({
      method: 'GET',
      path: '/rest/api/2/user/assignable/search',
      query: { query: 'a b@x.com', issueKey: 'APP-1' },
      issuer: 'issue-sync',
      sharedSecret: SECRET,
      now,
    });
    const claims = decodeSymmetric(token, SECRET, SymmetricAlgorithm.HS256) as Record<string, unknown>;
    const qsh = createQueryStringHash({
      method: 'GET',
      pathname: '/rest/api/2/user/assignable/search',
      query: { issueKey: 'APP-1', query: 'a b@x.com' },
    });
    expect(claims).toEqual({ iss: 'issue-sync', iat: now / 1000, exp: now / 1000 + 180, qsh });
    expect(() => {
      decodeSymmetric(token, 'another-secret', SymmetricAlgorithm.HS256);
    }).toThrow();
  });

  it('every client request is accepted by the simulator with the app key as issuer', async () => {
    await jira.getIssue('APP-123');
    expect(sim.calls).toHaveLength(1);
    expect(sim.calls[0]).toMatchObject({
      method: 'GET',
      path: '/rest/api/2/issue/APP-123',
      authorized: true,
      status: 200,
    });
  });

  it('rejects a request signed with the wrong shared secret (401) and applies nothing', async () => {
    const bad = createJiraClient({ ...site, sharedSecret: 'wrong-secret' }, { timeoutMs: 5_000 });
    const err = await rejectionOf(bad.setAssignee('APP-123', 'acc-jane'));
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ system: 'Jira', what: 'issue/assignee', status: 401 });
    expect((err as HttpError).body).toEqual({ errorMessages: [expect.any(String)], errors: {} });
    expect(sim.issue('APP-123')?.assigneeAccountId).toBeNull();
    expect(sim.calls[0]?.authorized).toBe(false);
  });

  it('rejects a request signed for another app key (401)', async () => {
    const bad = createJiraClient({ ...site, appKey: 'someone-else' }, { timeoutMs: 5_000 });
    await expect(bad.getIssue('APP-123')).rejects.toMatchObject({ status: 401 });
  });

  it('rejects a token whose qsh was computed for another path or query (401)', async () => {
    const forOtherPath = createConnectJwt({
      method: 'GET',
      path: '/rest/api/2/issue/APP-999',
      issuer: 'issue-sync',
      sharedSecret: SECRET,
    });
    const res1 = await fetch(`${sim.baseUrl}/rest/api/2/issue/APP-123`, {
      headers: { authorization: `JWT ${forOtherPath}` },
    });
    expect(res1.status).toBe(401);
    expect(await res1.json()).toEqual({ errorMessages: ['JWT qsh does not match the request'], errors: {} });

    const forOtherQuery = createConnectJwt({
      method: 'GET',
      path: '/rest/api/3/user/email',
      query: { accountId: 'acc-jane' },
      issuer: 'issue-sync',
      sharedSecret: SECRET,
    });
    const res2 = await fetch(`${sim.baseUrl}/rest/api/3/user/email?accountId=acc-hidden`, {
      headers: { authorization: `JWT ${forOtherQuery}` },
    });
    expect(res2.status).toBe(401);

    const forOtherMethod = createConnectJwt({
      method: 'GET',
      path: '/rest/api/2/issue/APP-123/comment',
      issuer: 'issue-sync',
      sharedSecret: SECRET,
    });
    const res3 = await fetch(`${sim.baseUrl}/rest/api/2/issue/APP-123/comment`, {
      method: 'POST',
      headers: { authorization: `JWT ${forOtherMethod}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'sneaky' }),
    });
    expect(res3.status).toBe(401);
    expect(sim.issue('APP-123')?.comments).toEqual([]);
  });

  it('rejects a request without a token and an expired token (401)', async () => {
    const none = await fetch(`${sim.baseUrl}/rest/api/2/issue/APP-123`);
    expect(none.status).toBe(401);
    const expired = createConnectJwt({
      method: 'GET',
      path: '/rest/api/2/issue/APP-123',
      issuer: 'issue-sync',
      sharedSecret: SECRET,
      now: Date.now() - 10 * 60_000,
    });
    const res = await fetch(`${sim.baseUrl}/rest/api/2/issue/APP-123`, {
      headers: { authorization: `JWT ${expired}` },
    });
    expect(res.status).toBe(401);
  });

  it('signs the path relative to a base URL with a context path', async () => {
    const ctxSim = await startJiraSimulator({ clientKey: CLIENT_KEY, sharedSecret: SECRET, contextPath: '/jira' });
    try {
      ctxSim.addIssue({ key: 'CTX-1', summary: 'Under a context path' });
      expect(ctxSim.baseUrl).toMatch(/\/jira$/);
      const client = createJiraClient({ ...site, baseUrl: `${ctxSim.baseUrl}/` }, { timeoutMs: 5_000 });
      await expect(client.getIssue('CTX-1')).resolves.toMatchObject({ key: 'CTX-1' });
      expect(ctxSim.calls[0]).toMatchObject({ path: '/rest/api/2/issue/CTX-1', authorized: true });

      const withFullPath = createConnectJwt({
        method: 'GET',
        path: '/jira/rest/api/2/issue/CTX-1',
        issuer: 'issue-sync',
        sharedSecret: SECRET,
      });
      const res = await fetch(`${ctxSim.baseUrl}/rest/api/2/issue/CTX-1`, {
        headers: { authorization: `JWT ${withFullPath}` },
      });
      expect(res.status).toBe(401);
    } finally {
      await ctxSim.close();
    }
  });
});

describe('users', () => {
  it('getUserEmail returns the email even when the profile hides it', async () => {
    await expect(jira.getUserEmail('acc-hidden')).resolves.toBe('hidden@example.com');
    expect(sim.callsTo('GET', '/rest/api/3/user/email')[0]?.query).toEqual({ accountId: 'acc-hidden' });
  });

  it('getUserEmail surfaces 404 for an unknown account and 403 without the email scope', async () => {
    await expect(jira.getUserEmail('acc-nobody')).rejects.toMatchObject({ name: 'HttpError', status: 404 });
    sim.failNext({ pathPrefix: '/rest/api/3/user/email' }, 1, {
      status: 403,
      body: { errorMessages: ['The app is not allowed to access email addresses.'] },
    });
    const err = await rejectionOf(jira.getUserEmail('acc-jane'));
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ system: 'Jira', what: 'user/email', status: 403 });
    expect((err as Error).message).not.toContain('acc-jane');
  });

  it('findAssignableUsers matches email or name case-insensitively and hides private emails', async () => {
    const byEmail = await jira.findAssignableUsers('APP-123', 'jane.doe+OPS@EXAMPLE.com');
    expect(byEmail).toEqual([
      { accountId: 'acc-jane', emailAddress: 'Jane.Doe+ops@example.com', displayName: 'Jane Doe', active: true },
    ]);
    const call = sim.callsTo('GET', '/rest/api/2/user/assignable/search')[0];
    expect(call).toMatchObject({ authorized: true, query: { issueKey: 'APP-123', query: 'jane.doe+OPS@EXAMPLE.com' } });

    const hidden = await jira.findAssignableUsers('APP-123', 'HIDDEN@example.com');
    expect(hidden).toEqual([{ accountId: 'acc-hidden', displayName: 'Hidden Person', active: true }]);

    const byName = await jira.findAssignableUsers('APP-123', 'jane');
    expect(byName.map((u) => u.accountId)).toEqual(['acc-jane']);
  });

  it('findAssignableUsers surfaces 404 for an unknown issue', async () => {
    await expect(jira.findAssignableUsers('APP-404', 'jane')).rejects.toMatchObject({ status: 404 });
  });
});

describe('issues', () => {
  it('setAssignee assigns and unassigns with {accountId}', async () => {
    await jira.setAssignee('APP-123', 'acc-jane');
    expect(sim.issue('APP-123')?.assigneeAccountId).toBe('acc-jane');
    await jira.setAssignee('APP-123', null);
    expect(sim.issue('APP-123')?.assigneeAccountId).toBeNull();
    expect(sim.callsTo('PUT', '/rest/api/2/issue/APP-123/assignee').map((c) => c.body)).toEqual([
      { accountId: 'acc-jane' },
      { accountId: null },
    ]);
  });

  it('setAssignee surfaces 400 for a user who cannot be assigned in this project', async () => {
    const err = await rejectionOf(jira.setAssignee('APP-123', 'acc-other'));
    expect(err).toMatchObject({ status: 400 });
    expect(jiraFieldErrors(err)?.fieldErrors).toHaveProperty('assignee');
  });

  it('getIssue returns the typed issue', async () => {
    await jira.setAssignee('APP-123', 'acc-jane');
    const issue = await jira.getIssue('APP-123');
    expect(issue).toEqual({
      id: '101',
      key: 'APP-123',
      fields: {
        summary: 'Crash on start',
        description: null,
        status: { id: '3', name: 'In Progress', statusCategory: { key: 'indeterminate' } },
        project: { id: '10000', key: 'APP' },
        assignee: { accountId: 'acc-jane' },
      },
    });
    await expect(jira.getIssue('APP-404')).rejects.toMatchObject({ status: 404, what: 'issue' });
  });

  it('getTransitions lists transitions and transitionIssue moves the issue, fetching fresh each time', async () => {
    sim.setTransitions('APP-123', [
      { id: '31', name: 'Resolve', toStatusId: '10101' },
      { id: '41', name: 'Stop progress', toStatusId: '10000' },
    ]);
    const transitions = await jira.getTransitions('APP-123');
    expect(transitions).toEqual([
      { id: '31', name: 'Resolve', to: { id: '10101', name: 'Done' } },
      { id: '41', name: 'Stop progress', to: { id: '10000', name: 'To Do' } },
    ]);
    await jira.transitionIssue('APP-123', '31');
    expect(sim.issue('APP-123')?.statusId).toBe('10101');
    expect(sim.callsTo('POST', '/rest/api/2/issue/APP-123/transitions')[0]?.body).toEqual({ transition: { id: '31' } });

    await jira.getTransitions('APP-123');
    expect(sim.callsTo('GET', '/rest/api/2/issue/APP-123/transitions')).toHaveLength(2);
    await expect(jira.transitionIssue('APP-123', '99')).rejects.toMatchObject({ status: 400 });
  });

  it('createIssue returns {id, key, self}', async () => {
    const created = await jira.createIssue({
      project: { key: 'APP' },
      issuetype: { name: 'Bug' },
      summary: 'TypeError in checkout',
      description: 'Details',
    });
    expect(created).toEqual({
      id: expect.any(String),
      key: 'APP-124',
      self: `${sim.baseUrl}/rest/api/2/issue/${created.id}`,
    });
    expect(sim.issue('APP-124')).toMatchObject({ summary: 'TypeError in checkout', description: 'Details' });
  });

  it('createIssue 400 for a missing required field comes back through jiraFieldErrors', async () => {
    sim.setRequiredFields('APP', { customfield_10010: 'Account is required.' });
    const err = await rejectionOf(
      jira.createIssue({ project: { key: 'APP' }, issuetype: { name: 'Bug' }, summary: 'No account' })
    );
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).body).toEqual({
      errorMessages: [],
      errors: { customfield_10010: 'Account is required.' },
    });
    expect(jiraFieldErrors(err)).toEqual({
      fieldErrors: { customfield_10010: 'Account is required.' },
      messages: [],
    });
    expect(sim.issue('APP-124')).toBeUndefined();

    await expect(
      jira.createIssue({ project: { key: 'APP' }, issuetype: { name: 'Bug' }, summary: 'Ok', customfield_10010: 7 })
    ).resolves.toMatchObject({ key: 'APP-124' });
  });

  it('jiraFieldErrors is null for anything but a Jira 400 error body', () => {
    expect(jiraFieldErrors(new Error('x'))).toBeNull();
    expect(jiraFieldErrors(new NetworkError('Jira', 'issue/create', true))).toBeNull();
    expect(jiraFieldErrors(new HttpError('Jira', 'issue/create', 500, null, { errors: { a: 'b' } }))).toBeNull();
    expect(jiraFieldErrors(new HttpError('Jira', 'issue/create', 400, null, '<html>'))).toBeNull();
    expect(jiraFieldErrors(new HttpError('Jira', 'issue/create', 400, null, { errorMessages: ['Nope'] }))).toEqual({
      fieldErrors: {},
      messages: ['Nope'],
    });
  });
});

describe('comments', () => {
  it('addComment, updateComment and listComments', async () => {
    const { id } = await jira.addComment('APP-123', 'Jane wrote:\n\n{quote}hi{quote}');
    expect(sim.issue('APP-123')?.comments.map((c) => c.body)).toEqual(['Jane wrote:\n\n{quote}hi{quote}']);
    await jira.updateComment('APP-123', id, 'Jane wrote:\n\n{quote}edited{quote}');
    expect(sim.callsTo('PUT', `/rest/api/2/issue/APP-123/comment/${id}`)[0]?.body).toEqual({
      body: 'Jane wrote:\n\n{quote}edited{quote}',
    });
    await expect(jira.listComments('APP-123')).resolves.toEqual([{ id, body: 'Jane wrote:\n\n{quote}edited{quote}' }]);
    await expect(jira.updateComment('APP-123', '999999', 'x')).rejects.toMatchObject({ status: 404 });
  });

  it('listComments reads every page', async () => {
    for (let i = 0; i < 150; i++) await jira.addComment('APP-123', `comment ${i}`);
    const comments = await jira.listComments('APP-123');
    expect(comments).toHaveLength(150);
    expect(comments[149]?.body).toBe('comment 149');
    expect(sim.callsTo('GET', '/rest/api/2/issue/APP-123/comment').map((c) => c.query.startAt)).toEqual(['0', '100']);
  });

  it('a held answer times out on our side although Jira created the comment', async () => {
    const impatient = createJiraClient(site, { timeoutMs: 300 });
    sim.holdNext({ method: 'POST', pathPrefix: '/rest/api/2/issue/APP-123/comment' });
    const err = await rejectionOf(impatient.addComment('APP-123', 'posted once'));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ system: 'Jira', what: 'issue/comment/create', timedOut: true });
    expect(sim.issue('APP-123')?.comments.map((c) => c.body)).toEqual(['posted once']);
    await expect(jira.listComments('APP-123')).resolves.toEqual([{ id: expect.any(String), body: 'posted once' }]);
    sim.releaseAll();
  });
});

describe('idempotency keys (entity properties) and search', () => {
  const NOTE_PROPERTY = [{ key: 'issue-sync', value: { noteKey: 'note-12-ei-3' } }];
  const REQUEST_JQL = 'issue.property[issue-sync].requestId = "r-1"';
  const newIssueFields = { project: { key: 'APP' }, issuetype: { name: 'Bug' }, summary: 'From the tracker' };

  it('a comment posted with properties lists them with expandProperties, and not without', async () => {
    const { id } = await jira.addComment('APP-123', 'Jane wrote:\n\n{quote}hi{quote}', NOTE_PROPERTY);
    const { id: plainId } = await jira.addComment('APP-123', 'no key');
    expect(sim.callsTo('POST', '/rest/api/2/issue/APP-123/comment').map((c) => c.body)).toEqual([
      { body: 'Jane wrote:\n\n{quote}hi{quote}', properties: NOTE_PROPERTY },
      { body: 'no key' },
    ]);

    await expect(jira.listComments('APP-123', { expandProperties: true })).resolves.toEqual([
      { id, body: 'Jane wrote:\n\n{quote}hi{quote}', properties: NOTE_PROPERTY },
      { id: plainId, body: 'no key', properties: [] },
    ]);
    expect(sim.callsTo('GET', '/rest/api/2/issue/APP-123/comment')[0]).toMatchObject({
      authorized: true,
      query: { expand: 'properties' },
    });

    const plain = await jira.listComments('APP-123');
    expect(plain).toEqual([
      { id, body: 'Jane wrote:\n\n{quote}hi{quote}' },
      { id: plainId, body: 'no key' },
    ]);
    expect(plain[0]).not.toHaveProperty('properties');
    expect(sim.callsTo('GET', '/rest/api/2/issue/APP-123/comment')[1]?.query).not.toHaveProperty('expand');
  });

  it('editing a comment keeps its properties', async () => {
    const { id } = await jira.addComment('APP-123', 'first', NOTE_PROPERTY);
    await jira.updateComment('APP-123', id, 'edited');
    await expect(jira.listComments('APP-123', { expandProperties: true })).resolves.toEqual([
      { id, body: 'edited', properties: NOTE_PROPERTY },
    ]);
  });

  it('listComments with expandProperties reads every page', async () => {
    for (let i = 0; i < 120; i++) {
      await jira.addComment('APP-123', `comment ${i}`, [{ key: 'issue-sync', value: { noteKey: `n-${i}` } }]);
    }
    const comments = await jira.listComments('APP-123', { expandProperties: true });
    expect(comments).toHaveLength(120);
    expect(comments[119]?.properties).toEqual([{ key: 'issue-sync', value: { noteKey: 'n-119' } }]);
    expect(sim.callsTo('GET', '/rest/api/2/issue/APP-123/comment').map((c) => c.query.startAt)).toEqual(['0', '100']);
  });

  it('an issue created with properties is found by searchIssues on the property; another value finds nothing', async () => {
    const created = await jira.createIssue(newIssueFields, [{ key: 'issue-sync', value: { requestId: 'r-1' } }]);
    expect(sim.callsTo('POST', '/rest/api/2/issue')[0]?.body).toEqual({
      fields: newIssueFields,
      properties: [{ key: 'issue-sync', value: { requestId: 'r-1' } }],
    });
    expect(sim.issueProperties(created.key)).toEqual({ 'issue-sync': { requestId: 'r-1' } });
    expect(sim.issueProperties('APP-123')).toEqual({});
    expect(sim.issueProperties('APP-404')).toBeUndefined();

    const found = await jira.searchIssues(REQUEST_JQL, { fields: ['summary', 'status', 'project'] });
    expect(found).toEqual([
      {
        id: created.id,
        key: created.key,
        fields: {
          summary: 'From the tracker',
          status: expect.objectContaining({ id: '10000', name: 'To Do' }),
          project: expect.objectContaining({ id: '10000', key: 'APP' }),
        },
      },
    ]);
    expect(searchCalls()).toHaveLength(1);
    expect(searchCalls()[0]).toMatchObject({ authorized: true, status: 200 });
    expect(searchCalls()[0]?.query).toEqual({ jql: REQUEST_JQL, fields: 'summary,status,project', maxResults: '50' });

    await expect(jira.searchIssues('issue.property[issue-sync].requestId = "r-2"')).resolves.toEqual([]);
    await expect(jira.searchIssues('issue.property[other-app].requestId = "r-1"')).resolves.toEqual([]);
  });

  it('searchIssues uses the enhanced search and never the removed /rest/api/2/search', async () => {
    expect(JIRA_SEARCH_PATH).toBe('/rest/api/2/search/jql');
    await jira.createIssue(newIssueFields, [{ key: 'issue-sync', value: { requestId: 'r-1' } }]);
    await jira.searchIssues(REQUEST_JQL, { fields: ['summary'] });
    await jira.searchIssues(REQUEST_JQL);
    expect(searchCalls()).toHaveLength(2);
    expect(sim.calls.filter((c) => c.path === '/rest/api/2/search')).toEqual([]);
  });

  it("the removed GET /rest/api/2/search answers 410 Gone with Jira Cloud's body", async () => {
    const query = { jql: REQUEST_JQL, startAt: '0', maxResults: '50' };
    const res = await signedFetch('/rest/api/2/search', query);
    expect(res.status).toBe(410);
    expect(await res.json()).toEqual({
      errorMessages: ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.'],
      errors: {},
    });
    expect(REMOVED_SEARCH_BODY.errorMessages).toHaveLength(1);
    expect(sim.calls[0]).toMatchObject({ path: '/rest/api/2/search', authorized: true, status: 410 });
  });

  it('fields are left out unless asked for: the client asks for key only, and Jira alone answers bare ids', async () => {
    const created = await jira.createIssue(newIssueFields, [{ key: 'issue-sync', value: { requestId: 'r-1' } }]);

    const bare = await jira.searchIssues(REQUEST_JQL);
    expect(bare).toEqual([{ id: created.id, key: created.key, fields: {} }]);
    expect(searchCalls()[0]?.query).toEqual({ jql: REQUEST_JQL, fields: 'key', maxResults: '50' });

    await expect(jira.searchIssues(REQUEST_JQL, { fields: [] })).resolves.toEqual(bare);

    await expect(jira.searchIssues(REQUEST_JQL, { fields: ['summary'] })).resolves.toEqual([
      { id: created.id, key: created.key, fields: { summary: 'From the tracker' } },
    ]);

    // What the endpoint itself answers without `fields`: ids only (no key, no fields).
    const res = await signedFetch(JIRA_SEARCH_PATH, { jql: REQUEST_JQL });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ issues: [{ id: created.id }], isLast: true });
  });

  it('searchIssues signs JQL with spaces, quotes, brackets and reserved characters (qsh covers the query)', async () => {
    const requestId = 'r+1 & x=y/%20 ü';
    const created = await jira.createIssue(newIssueFields, [{ key: 'issue-sync', value: { requestId } }]);
    const jql = `issue.property[issue-sync].requestId = "${requestId}"`;
    await expect(jira.searchIssues(jql)).resolves.toEqual([expect.objectContaining({ key: created.key })]);
    expect(searchCalls()[0]).toMatchObject({ authorized: true, query: { jql } });
  });

  it('the simulator refuses a search whose token was signed for another JQL (401)', async () => {
    const token = createConnectJwt({
      method: 'GET',
      path: JIRA_SEARCH_PATH,
      query: { jql: 'issue.property[issue-sync].requestId = "r-1"' },
      issuer: 'issue-sync',
      sharedSecret: SECRET,
    });
    const other = encodeURIComponent('issue.property[issue-sync].requestId = "r-2"');
    const res = await fetch(`${sim.baseUrl}${JIRA_SEARCH_PATH}?jql=${other}`, {
      headers: { authorization: `JWT ${token}` },
    });
    expect(res.status).toBe(401);
  });

  it("malformed JQL is an HttpError 400 with Jira's error body", async () => {
    for (const jql of ['project = APP', 'issue.property[issue-sync].requestId = r-1', '']) {
      const err = await rejectionOf(jira.searchIssues(jql));
      expect(err).toBeInstanceOf(HttpError);
      expect(err).toMatchObject({ system: 'Jira', what: 'search', status: 400 });
      expect((err as HttpError).body).toEqual({
        errorMessages: [expect.stringMatching(/^Error in the JQL Query: /)],
        errors: {},
      });
    }
  });

  it('searchIssues follows nextPageToken across pages until isLast, with the same signed query plus the token', async () => {
    sim.setSearchPageSize(2);
    const keys = ['DUP-1', 'DUP-2', 'DUP-3'];
    for (const key of keys) sim.addIssue({ key, summary: `s ${key}` }).properties['issue-sync'] = { requestId: 'dup' };
    sim.addIssue({ key: 'DUP-4' }).properties['issue-sync'] = { requestId: 'other' };
    const jql = 'issue.property[issue-sync].requestId = "dup"';

    const found = await jira.searchIssues(jql, { fields: ['summary'] });
    expect(found.map((i) => [i.key, i.fields])).toEqual(keys.map((k) => [k, { summary: `s ${k}` }]));

    const calls = searchCalls();
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.authorized && c.status === 200)).toBe(true);
    expect(calls[0]?.query).toEqual({ jql, fields: 'summary', maxResults: '50' });
    const token = calls[1]?.query.nextPageToken;
    expect(token).toEqual(expect.any(String));
    expect(calls[1]?.query).toEqual({ jql, fields: 'summary', maxResults: '50', nextPageToken: token });
  });

  it('searchIssues stops at opts.maxResults in total, across pages', async () => {
    sim.setSearchPageSize(2);
    for (let i = 1; i <= 5; i++) sim.addIssue({ key: `DUP-${i}` }).properties['issue-sync'] = { requestId: 'dup' };
    const jql = 'issue.property[issue-sync].requestId = "dup"';

    await expect(jira.searchIssues(jql, { maxResults: 2 }).then(keysOf)).resolves.toEqual(['DUP-1', 'DUP-2']);
    expect(searchCalls().map(pageOf)).toEqual([['2', false]]);

    let mark = sim.calls.length;
    await expect(jira.searchIssues(jql, { maxResults: 3 }).then(keysOf)).resolves.toEqual(['DUP-1', 'DUP-2', 'DUP-3']);
    expect(searchCalls(mark).map(pageOf)).toEqual([
      ['3', false],
      ['3', true],
    ]);

    mark = sim.calls.length;
    const all = await jira.searchIssues(jql, { maxResults: 500 });
    expect(keysOf(all)).toEqual(['DUP-1', 'DUP-2', 'DUP-3', 'DUP-4', 'DUP-5']);
    expect(searchCalls(mark).map(pageOf)).toEqual([
      ['500', false],
      ['500', true],
      ['500', true],
    ]);
  });

  it("searchIssues pages past Jira's own page size", async () => {
    for (let i = 0; i < 120; i++) {
      sim.addIssue({ key: `BULK-${i + 1}` }).properties['issue-sync'] = { requestId: 'dup' };
    }
    const jql = 'issue.property[issue-sync].requestId = "dup"';
    const all = await jira.searchIssues(jql, { maxResults: 500 });
    expect(all.map((i) => i.key)).toEqual(Array.from({ length: 120 }, (_, i) => `BULK-${i + 1}`));
    expect(searchCalls().map(pageOf)).toEqual([
      ['500', false],
      ['500', true],
    ]);
  });

  it('searchIssues stops on isLast even with a token, and on a missing token even without isLast', async () => {
    const issue = (n: number): unknown => ({ id: String(n), key: `X-${n}`, fields: {} });
    const page = (body: unknown): Parameters<JiraSimulator['failNext']>[2] => ({ status: 200, body });
    const match = { method: 'GET', pathPrefix: JIRA_SEARCH_PATH };

    // A token with reserved characters is percent-encoded and signed like the rest of the query.
    sim.failNext(match, 1, page({ issues: [issue(1)], nextPageToken: 'a+b/c=' }));
    sim.failNext(match, 1, page({ issues: [issue(2)], nextPageToken: 'next', isLast: true }));
    await expect(jira.searchIssues(REQUEST_JQL).then(keysOf)).resolves.toEqual(['X-1', 'X-2']);
    expect(searchCalls().map((c) => [c.authorized, c.query.nextPageToken])).toEqual([
      [true, undefined],
      [true, 'a+b/c='],
    ]);

    let mark = sim.calls.length;
    sim.failNext(match, 1, page({ issues: [issue(3)] }));
    await expect(jira.searchIssues(REQUEST_JQL).then(keysOf)).resolves.toEqual(['X-3']);
    expect(searchCalls(mark)).toHaveLength(1);

    mark = sim.calls.length;
    sim.failNext(match, 1, page({ issues: [issue(4)], nextPageToken: null, isLast: false }));
    await expect(jira.searchIssues(REQUEST_JQL).then(keysOf)).resolves.toEqual(['X-4']);
    expect(searchCalls(mark)).toHaveLength(1);
  });

  it('a search page without issues is a JiraResponseError', async () => {
    sim.failNext({ pathPrefix: JIRA_SEARCH_PATH }, 1, { status: 200, body: { nextPageToken: 't', isLast: false } });
    const err = await rejectionOf(jira.searchIssues(REQUEST_JQL));
    expect(err).toBeInstanceOf(JiraResponseError);
    expect(err).toMatchObject({ what: 'search', paths: ['issues'] });
  });

  it('the simulator refuses a nextPageToken that is not its own or was issued for another JQL (400)', async () => {
    sim.setSearchPageSize(1);
    for (const key of ['DUP-1', 'DUP-2']) sim.addIssue({ key }).properties['issue-sync'] = { requestId: 'dup' };
    const jql = 'issue.property[issue-sync].requestId = "dup"';
    const first = (await (await signedFetch(JIRA_SEARCH_PATH, { jql, fields: 'key' })).json()) as {
      issues: Array<{ key: string }>;
      nextPageToken?: string;
      isLast: boolean;
    };
    expect(first).toMatchObject({ issues: [{ key: 'DUP-1' }], isLast: false, nextPageToken: expect.any(String) });
    const nextPageToken = first.nextPageToken ?? '';

    const second = await signedFetch(JIRA_SEARCH_PATH, { jql, fields: 'key', nextPageToken });
    expect(await second.json()).toMatchObject({ issues: [{ key: 'DUP-2' }], isLast: true });

    expect((await signedFetch(JIRA_SEARCH_PATH, { jql, nextPageToken: 'garbage' })).status).toBe(400);
    expect((await signedFetch(JIRA_SEARCH_PATH, { jql: REQUEST_JQL, nextPageToken })).status).toBe(400);
  });

  it('a held comment POST has taken effect: listComments finds it with its key although the client timed out', async () => {
    const impatient = createJiraClient(site, { timeoutMs: 300 });
    sim.holdNext({ method: 'POST', pathPrefix: '/rest/api/2/issue/APP-123/comment' });
    const err = await rejectionOf(impatient.addComment('APP-123', 'posted once', NOTE_PROPERTY));
    expect(err).toMatchObject({ name: 'NetworkError', what: 'issue/comment/create', timedOut: true });
    await expect(jira.listComments('APP-123', { expandProperties: true })).resolves.toEqual([
      { id: expect.any(String), body: 'posted once', properties: NOTE_PROPERTY },
    ]);
    sim.releaseAll();
  });

  it('a held issue create has taken effect: searchIssues finds it although the client timed out', async () => {
    const impatient = createJiraClient(site, { timeoutMs: 300 });
    sim.holdNext({ method: 'POST', pathPrefix: '/rest/api/2/issue' });
    const err = await rejectionOf(
      impatient.createIssue(newIssueFields, [{ key: 'issue-sync', value: { requestId: 'r-1' } }])
    );
    expect(err).toMatchObject({ name: 'NetworkError', what: 'issue/create', timedOut: true });
    await expect(jira.searchIssues(REQUEST_JQL)).resolves.toEqual([expect.objectContaining({ key: 'APP-124' })]);
    expect(sim.issueProperties('APP-124')).toEqual({ 'issue-sync': { requestId: 'r-1' } });
    sim.releaseAll();
  });

  it('the simulator rejects malformed properties (400) and creates nothing', async () => {
    const err = await rejectionOf(jira.addComment('APP-123', 'x', [{ key: '', value: 1 }]));
    expect(err).toMatchObject({ status: 400 });
    expect(sim.issue('APP-123')?.comments).toEqual([]);
  });
});

describe('jiraWikiQuote', () => {
  /** `{…}` macros that Jira would act on: a brace not preceded by the escaping backslash. */
  const liveMacros = (body: string): string[] => body.match(/(?<!\\)\{[^{}]*\}/g) ?? [];

  it('builds Sentry\'s "<name> wrote:" body around a {quote}', () => {
    expect(jiraWikiQuote('Jane Doe', 'It crashes on start')).toBe(
      'Jane Doe wrote:\n\n{quote}It crashes on start{quote}'
    );
  });

  it('escapes {quote} and {code} in the text so it cannot leave the quote, and keeps the name line', () => {
    const body = jiraWikiQuote('Jane Doe', 'see {quote}evil{quote} and {code:java}x(){code} {panel} {}');
    expect(body).toBe(
      'Jane Doe wrote:\n\n{quote}see \\{quote\\}evil\\{quote\\} and \\{code:java\\}x()\\{code\\} \\{panel\\} \\{\\}{quote}'
    );
    expect(body.split('\n')[0]).toBe('Jane Doe wrote:');
    expect(liveMacros(body)).toEqual(['{quote}', '{quote}']);
    expect(body.startsWith('Jane Doe wrote:\n\n{quote}')).toBe(true);
    expect(body.endsWith('{quote}')).toBe(true);
  });

  it('keeps user backslashes from cancelling an escape or the closing {quote}', () => {
    const body = jiraWikiQuote('Jane', 'path C:\\{noformat} ends with \\');
    expect(body).toBe('Jane wrote:\n\n{quote}path C:\\\u200b\\{noformat\\} ends with \\\u200b{quote}');
    expect(body).not.toMatch(/\\\\/);
    expect(liveMacros(body)).toEqual(['{quote}', '{quote}']);
  });

  it('keeps the name on one line and inert', () => {
    const body = jiraWikiQuote('Mallory {quote}\nx', 'hi');
    expect(body.split('\n')[0]).toBe('Mallory \\{quote\\} x wrote:');
    expect(liveMacros(body)).toEqual(['{quote}', '{quote}']);
  });
});

describe('faults', () => {
  it('429 with Retry-After surfaces as HttpError with retryAfter, then the call succeeds', async () => {
    sim.failNext({ method: 'GET', pathPrefix: '/rest/api/2/issue/' }, 1, {
      status: 429,
      headers: { 'Retry-After': '1' },
    });
    const err = await rejectionOf(jira.getIssue('APP-123'));
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 429, retryAfter: '1', what: 'issue' });
    await expect(jira.getIssue('APP-123')).resolves.toMatchObject({ key: 'APP-123' });
  });

  it('a failed write has no effect', async () => {
    sim.failNext({ method: 'PUT' }, 2, { status: 500 });
    await expect(jira.setAssignee('APP-123', 'acc-jane')).rejects.toMatchObject({ status: 500 });
    await expect(jira.setAssignee('APP-123', 'acc-jane')).rejects.toMatchObject({ status: 500 });
    expect(sim.issue('APP-123')?.assigneeAccountId).toBeNull();
    await jira.setAssignee('APP-123', 'acc-jane');
    expect(sim.issue('APP-123')?.assigneeAccountId).toBe('acc-jane');
  });

  it('a slow answer longer than the timeout is a timed-out NetworkError', async () => {
    sim.delayNext({ pathPrefix: '/rest/api/3/user/email' }, 1_000);
    const impatient = createJiraClient(site, { timeoutMs: 200 });
    await expect(impatient.getUserEmail('acc-jane')).rejects.toMatchObject({ name: 'NetworkError', timedOut: true });
  });

  it('an unreachable site is a NetworkError that did not time out', async () => {
    const gone = await startJiraSimulator({ clientKey: CLIENT_KEY, sharedSecret: SECRET });
    await gone.close();
    const client = createJiraClient({ ...site, baseUrl: gone.baseUrl }, { timeoutMs: 2_000 });
    await expect(client.getIssue('APP-123')).rejects.toMatchObject({ name: 'NetworkError', timedOut: false });
  });

  it('a 2xx body without the fields we need is a JiraResponseError', async () => {
    sim.failNext({ pathPrefix: '/rest/api/2/issue/APP-123/transitions' }, 1, { status: 200, body: { nope: true } });
    const err = await rejectionOf(jira.getTransitions('APP-123'));
    expect(err).toBeInstanceOf(JiraResponseError);
    expect(err).toMatchObject({ system: 'Jira', what: 'issue/transitions', paths: ['transitions'] });
  });
});

describe('buildIssueUpdatedPayload', () => {
  it('builds an assignee change shaped like Jira Cloud sends it', () => {
    const payload = buildIssueUpdatedPayload({
      issue: { id: '101', key: 'APP-123', projectId: '10000' },
      assignee: { accountId: 'acc-jane', displayName: 'Jane Doe', emailAddress: 'jane@example.com' },
      statusCategoryKey: 'done',
      changedFields: ['assignee', 'status'],
      updated: '2024-05-01T12:34:56.789Z',
      changelogId: '10172',
    });
    expect(payload).toMatchObject({
      timestamp: 1714566896789,
      webhookEvent: 'jira:issue_updated',
      issue_event_type_name: 'issue_generic',
      user: { accountId: expect.any(String) },
      issue: {
        id: '101',
        key: 'APP-123',
        self: expect.stringContaining('/rest/api/2/issue/101'),
        fields: {
          updated: '2024-05-01T12:34:56.789+0000',
          project: { id: '10000', key: 'APP' },
          assignee: { accountId: 'acc-jane', emailAddress: 'jane@example.com', displayName: 'Jane Doe' },
          status: { id: '10101', name: 'Done', statusCategory: { key: 'done', name: 'Done' } },
        },
      },
      changelog: {
        id: '10172',
        items: [
          {
            field: 'assignee',
            fieldtype: 'jira',
            fieldId: 'assignee',
            from: null,
            to: 'acc-jane',
            toString: 'Jane Doe',
          },
          { field: 'status', fieldId: 'status', from: '3', fromString: 'In Progress', to: '10101', toString: 'Done' },
        ],
      },
    });
  });

  it('distinguishes unassigned (null) from absent (undefined) and can omit fields or changelog', () => {
    const base = {
      issue: { id: '1', key: 'APP-1' },
      changedFields: ['assignee' as const],
      updated: '2024-05-01T00:00:00Z',
    };
    const unassigned = buildIssueUpdatedPayload({ ...base, assignee: null }) as { issue: { fields: object } };
    expect(unassigned.issue.fields).toHaveProperty('assignee', null);
    const absent = buildIssueUpdatedPayload(base) as { issue: { fields: object } };
    expect(absent.issue.fields).not.toHaveProperty('assignee');
    expect(buildIssueUpdatedPayload({ ...base, omitFields: true }).issue).not.toHaveProperty('fields');
    expect(buildIssueUpdatedPayload({ ...base, omitChangelog: true })).not.toHaveProperty('changelog');
    expect(buildIssueUpdatedPayload({ ...base, assignee: null }).issue_event_type_name).toBe('issue_assigned');
  });
});
