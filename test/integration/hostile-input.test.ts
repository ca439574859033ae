/**
 * Hostile and broken input from outside (issue 12, holes 1, 2, 3, 4, 6, 8, 9 and 10), over HTTP against the real
 * app: each is a 4xx naming the field (Jira does not retry 4xx), or a 503 when the database is down, never a
 * 500, never a 503 that no retry can cure, and nothing an unauthenticated caller sends is logged as an error.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import knex from 'knex';
import type { Knex } from 'knex';
import { loadJiraSite } from '../../src/activities/jira/site';
import { createApp } from '../../src/api/app';
import { createStarter } from '../../src/api/temporal-start';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { groupUpdate } from '../../src/workflows/group-update';
import * as fx from '../support/fixtures';
import { signConnectJwt } from '../support/jira-jwt';
import { useJiraSuite } from '../support/jira-suite';
import type { SendResult } from '../support/jira-world';
import { CLIENT_KEY, SHARED_SECRET, WEBHOOK_PATH, issuePayload, sendWebhook } from '../support/jira-world';
import { API_TOKEN } from '../support/stack';

const suite = useJiraSuite();

const NOW = () => new Date(Date.now() - 60_000).toISOString();

/** A logger that keeps every line (level and object) and prints nothing. */
function recordingLogger() {
  const lines: Array<{ level: string; obj: unknown; msg: unknown }> = [];
  const logger = createLogger('silent');
  for (const level of ['fatal', 'error', 'warn', 'info'] as const)
    (logger as unknown as Record<string, unknown>)[level] = (obj: unknown, msg?: unknown) => {
      lines.push({ level, obj, msg });
    };
  return { logger, lines, at: (level: string) => lines.filter((l) => l.level === level) };
}

/** createApp on its own port with its own database and a recording logger, as server.ts builds it. */
async function startApp(db: Knex) {
  const log = recordingLogger();
  const app = createApp({
    db,
    cache: suite.stack.cache,
    temporal: suite.stack.client,
    taskQueue: suite.stack.config.temporal.taskQueue,
    apiToken: API_TOKEN,
    logger: log.logger,
    metrics: createMetrics(),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, log, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string>,
  method = 'POST'
): Promise<SendResult & { contentType: string | null }> {
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, contentType: res.headers.get('content-type') };
}

async function deliveries() {
  return suite.stack.db('webhook_deliveries').select('id');
}

describe('hole 1: ids Temporal would refuse are 400s at parse time, not 503s', () => {
  test('an identifier of 996 characters is a 400 naming the header; nothing is stored or started', async () => {
    const payload = issuePayload({ changedFields: ['assignee'], updated: NOW(), assignee: null });
    const sent = await sendWebhook(suite.stack.api, payload, { identifier: 'i'.repeat(996) });
    expect(sent.status).toBe(400);
    expect(sent.body.error.message).toMatch(/^X-Atlassian-Webhook-Identifier: must be at most 200 bytes/);
    expect(await deliveries()).toHaveLength(0);
  });

  test('an identifier of 200 characters is accepted and started (the bound is inside Temporal’s)', async () => {
    const identifier = `${randomUUID()}-${'i'.repeat(163)}`;
    const sent = await sendWebhook(
      suite.stack.api,
      issuePayload({ changedFields: ['status'], updated: NOW(), statusCategoryKey: 'done' }),
      { identifier }
    );
    expect(identifier).toHaveLength(200);
    expect(sent.status).toBe(202);
    expect(sent.body.workflowId).toMatch(new RegExp(`^jira-\\d+-${identifier}$`));
  });

  test('an issue key of 2048 characters is a 400 naming issue.key', async () => {
    const payload = issuePayload({ changedFields: ['assignee'], updated: NOW(), assignee: null });
    (payload.issue as Record<string, unknown>).key = 'K'.repeat(2048);
    const sent = await sendWebhook(suite.stack.api, payload, { identifier: randomUUID() });
    expect(sent.status).toBe(400);
    expect(sent.body.error.message).toBe('issue.key: must be at most 255 characters');
    expect(await deliveries()).toHaveLength(0);
  });

  test('a start Temporal refuses for another reason is logged with its cause, and is not a 503', async () => {
    const log = recordingLogger();
    const start = createStarter({
      temporal: suite.stack.client,
      taskQueue: suite.stack.config.temporal.taskQueue,
      logger: log.logger,
    });
    const workflowId = `x${'y'.repeat(1100)}`;
    const err = await start({
      workflow: groupUpdate,
      workflowId,
      args: [{ requestId: 'r', groupId: 1, actorUserId: null, status: { target: 'resolved' } }],
      summary: 'too long an id',
      labels: { provider: 'api', groupIds: [1] },
    }).then(
      () => undefined,
      (e: unknown) => e as Error
    );
    expect(err).toBeDefined();
    expect(err?.name).not.toBe('UnavailableError');
    const [line] = log.at('error');
    expect(line?.msg).toBe('workflow start refused');
    const logged = JSON.stringify(line?.obj);
    // Temporal's own reason (the id is over its length limit) is in the log, at the top or in a cause.
    expect(logged).toMatch(/length|limit|exceed/i);
  });
});

describe('hole 2: bodies the parser refuses are 4xx with a JSON error, and no unauthenticated error log', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp(suite.stack.db);
  });
  afterAll(async () => {
    await app.close();
  });

  const corruptGzip = Buffer.concat([gzipSync(Buffer.from('{"a":1}')).subarray(0, 10), Buffer.from('garbage!')]);
  const corruptDeflate = Buffer.from('definitely not deflate');
  /** 2 MiB of JSON in a few KiB: inflated past the 1 MiB limit. */
  const bomb = gzipSync(Buffer.from(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`));

  const cases: Array<[string, Buffer, string, number, string]> = [
    ['compress', Buffer.from('x'), 'compress', 415, 'unsupported content encoding'],
    ['corrupt gzip', corruptGzip, 'gzip', 400, 'body could not be decoded (Content-Encoding)'],
    ['corrupt deflate', corruptDeflate, 'deflate', 400, 'body could not be decoded (Content-Encoding)'],
    ['a gzip bomb', bomb, 'gzip', 413, 'body larger than 1 MiB'],
  ];
  const routes: Array<[string, string, Record<string, string>]> = [
    ['Jira, no Authorization', WEBHOOK_PATH, {}],
    ['Discord, no signature', '/webhooks/discord/interactions', {}],
    ['/api with the bearer token', '/api/groups/1/comments', { authorization: `Bearer ${API_TOKEN}` }],
  ];

  describe.each(routes)('%s', (_name, path, auth) => {
    test.each(cases)('%s → its status, a JSON error, no error log', async (_c, body, encoding, status, message) => {
      const before = app.log.lines.length;
      const res = await post(`${app.url}${path}`, body, {
        'content-type': 'application/json',
        'content-encoding': encoding,
        ...auth,
      });
      expect(res.status).toBe(status);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(res.body.error.message).toBe(message);
      const lines = app.log.lines.slice(before);
      expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    });
  });

  test('invalid JSON on /api is a 400 with a JSON error', async () => {
    const res = await post(`${app.url}/api/groups/1/comments`, '{"text": ', {
      'content-type': 'application/json',
      authorization: `Bearer ${API_TOKEN}`,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ name: 'InputError', message: 'body is not valid JSON' });
  });

  test('/api without the bearer token refuses a corrupt body with 401 before reading it', async () => {
    const res = await post(`${app.url}/api/groups/1/comments`, corruptGzip, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(401);
  });
});

describe('hole 3 and 4: signed bodies with impossible times or NUL characters are 400s naming the field', () => {
  const withoutUpdated = (timestamp: number) => {
    const p = issuePayload({ changedFields: ['assignee'], updated: NOW(), assignee: null, timestamp });
    delete ((p.issue as Record<string, unknown>).fields as Record<string, unknown>).updated;
    return p;
  };

  test.each([1e20, -1e20, 8.64e15 + 1])('timestamp %p without fields.updated → 400 naming timestamp', async (ts) => {
    const sent = await sendWebhook(suite.stack.api, withoutUpdated(ts), { identifier: randomUUID() });
    expect(sent.status).toBe(400);
    expect(sent.body.error.message).toMatch(/^timestamp: /);
  });

  test.each(['key', 'id'])('a NUL character in issue.%s → 400 naming it', async (field) => {
    const p = issuePayload({ changedFields: ['assignee'], updated: NOW(), assignee: null });
    const issue = p.issue as Record<string, unknown>;
    issue[field] = `${String(issue[field])}\u0000`;
    const sent = await sendWebhook(suite.stack.api, p, { identifier: randomUUID() });
    expect(sent.status).toBe(400);
    expect(sent.body.error.message).toBe(`issue.${field}: must not contain control characters`);
  });

  test.each(['10000-01-01T00:00:00.000+0000', '+010000-01-01T00:00:00.000Z', '9999-12-31T00:00:00.000+0000'])(
    'fields.updated %p → 400 naming issue.fields.updated; nothing stored, the watermark untouched',
    async (updated) => {
      const p = issuePayload({ changedFields: ['assignee'], updated: NOW(), assignee: null });
      ((p.issue as Record<string, unknown>).fields as Record<string, unknown>).updated = updated;
      const sent = await sendWebhook(suite.stack.api, p, { identifier: randomUUID() });
      expect(sent.status).toBe(400);
      expect(sent.body.error.message).toMatch(/^issue\.fields\.updated: /);
      expect(await deliveries()).toHaveLength(0);
      const issue = await suite.stack.db('external_issues').where('id', suite.w.externalIssueId).first();
      expect(issue.assignee_updated_at).toBeNull();
    }
  );
});

describe('hole 6: a database that cannot be reached is a 503, everywhere', () => {
  let down: Knex;
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    // As createDb builds it (src/db.ts), on a port nothing listens on; knex's own console lines silenced.
    const quiet = { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined };
    down = knex({
      client: 'pg',
      connection: 'postgres://postgres@127.0.0.1:1/issue_sync',
      pool: { min: 0, max: 10 },
      log: quiet,
    });
    app = await startApp(down);
  });
  afterAll(async () => {
    await app.close();
    await down.destroy();
  });

  const unavailable = { error: { name: 'Unavailable', message: 'database unavailable' } };

  test('a signed Jira webhook → 503 Unavailable', async () => {
    const res = await sendWebhook(app.url, issuePayload({ changedFields: ['assignee'], updated: NOW() }), {
      identifier: randomUUID(),
    });
    expect(res).toEqual({ status: 503, body: unavailable });
  });

  test('a Discord interaction → 503 Unavailable', async () => {
    const body = JSON.stringify({ type: 1, application_id: '1234', id: '1', token: 't', version: 1 });
    const res = await post(`${app.url}/webhooks/discord/interactions`, body, {
      'content-type': 'application/json',
      'x-signature-ed25519': '00'.repeat(64),
      'x-signature-timestamp': String(Math.floor(Date.now() / 1000)),
    });
    expect(res.status).toBe(503);
    expect(res.body).toEqual(unavailable);
  });

  test.each([
    ['GET', '/api/groups/1', undefined],
    ['PUT', '/api/groups/1', JSON.stringify({ status: 'resolved' })],
  ])('%s %s → 503 Unavailable', async (method, path, body) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual(unavailable);
  });

  test('it is logged as a warning with its code, never as an error, never with the query', () => {
    expect(app.log.at('error')).toEqual([]);
    const warnings = app.log.at('warn').filter((l) => l.msg === 'database unavailable');
    expect(warnings.length).toBeGreaterThanOrEqual(4);
    expect(warnings[0]?.obj).toMatchObject({ code: 'ECONNREFUSED' });
    expect(JSON.stringify(warnings)).not.toMatch(/select |insert into|update "|integrations/i);
  });
});

describe('hole 8: Jira tokens Jira would not issue are 401s', () => {
  const payload = () => issuePayload({ changedFields: ['assignee'], updated: NOW(), assignee: null });
  const base = { clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET, method: 'POST', path: WEBHOOK_PATH };
  const nowS = () => Math.floor(Date.now() / 1000);

  test.each([
    ['iat one hour ahead', { iat: nowS() + 3600 }],
    ['iat ten years ahead', { iat: nowS() + 10 * 365 * 86_400 }],
    ['a lifetime of ten years', { expSeconds: 10 * 365 * 86_400 }],
  ])('%s → 401', async (_name, over) => {
    const sent = await sendWebhook(suite.stack.api, payload(), {
      identifier: randomUUID(),
      token: signConnectJwt({ ...base, ...over }),
    });
    expect(sent.status).toBe(401);
    expect(await deliveries()).toHaveLength(0);
  });
});

describe('hole 9: a Jira base_url is https, or http on loopback when allowed', () => {
  async function site(baseUrl: string, allowHttpLoopback = true) {
    const id = await fx.insertJiraIntegration(suite.stack.db, {
      clientKey: `site-${randomUUID()}`,
      sharedSecret: 's',
      baseUrl,
    });
    return loadJiraSite(suite.stack.db, id, { allowHttpLoopback }).then(
      (s) => s.baseUrl,
      (e: unknown) => e
    );
  }

  test.each([
    ['http://evil.example.com', 'must be https (http only for a loopback host)'],
    ['http://10.0.0.1:8080', 'must be https (http only for a loopback host)'],
    ['ftp://acme.atlassian.net', 'must be https'],
    ['file:///etc/passwd', 'must be https'],
    ['https://user:pw@acme.atlassian.net', 'must not carry credentials'],
    ['https://acme.atlassian.net?x=1', 'must not have a query or fragment'],
    ['acme.atlassian.net', 'is not an absolute URL'],
  ])('%s → a non-retryable IntegrationMisconfigured naming the problem', async (url, problem) => {
    const err = (await site(url)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('IntegrationMisconfigured');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(new RegExp(`base_url ${problem.replace(/[()]/g, '\\$&')}$`));
  });

  test('https anywhere, and http on loopback only while ALLOW_HTTP_LOOPBACK allows it', async () => {
    expect(await site('https://acme.atlassian.net')).toBe('https://acme.atlassian.net');
    expect(await site('http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
    expect(await site('http://[::1]:4000/jira')).toBe('http://[::1]:4000/jira');
    expect(await site('http://localhost:4000')).toBe('http://localhost:4000');
    const refused = (await site('http://127.0.0.1:4000', false)) as ApplicationFailure;
    expect(refused.message).toMatch(/base_url must be https \(http on loopback needs ALLOW_HTTP_LOOPBACK=true\)$/);
    expect(refused.nonRetryable).toBe(true);
  });
});

describe('hole 10: ids out of range are 400s', () => {
  test('assignedTo user:99999999999999999999 → 400 naming assignedTo', async () => {
    const res = await fetch(`${suite.stack.api}/api/groups/${suite.w.groupId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ assignedTo: 'user:99999999999999999999' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as SendResult['body']).error.message).toMatch(/^assignedTo: /);
  });
});

describe('hole 5: one tenant cannot shadow another with the same delivery identifier', () => {
  test('integration B posting identifier K first does not make integration A’s real change with K a duplicate', async () => {
    const { stack, jira, w } = suite;
    const otherSecret = 'other-site-shared-secret-0123456789';
    const siteB = await fx.insertJiraIntegration(stack.db, {
      clientKey: 'jira-site-b',
      sharedSecret: otherSecret,
      baseUrl: jira.baseUrl,
      emailScope: false,
    });
    const identifier = `shared-${randomUUID()}`;
    const payload = issuePayload({ changedFields: ['status'], updated: NOW(), statusCategoryKey: 'done' });
    const fromB = await sendWebhook(stack.api, payload, {
      identifier,
      token: signConnectJwt({
        clientKey: 'jira-site-b',
        sharedSecret: otherSecret,
        method: 'POST',
        path: WEBHOOK_PATH,
      }),
    });
    expect(fromB.status).toBe(202);
    expect(fromB.body.workflowId).toBe(`jira-${siteB}-${identifier}`);

    const fromA = await sendWebhook(stack.api, payload, { identifier });
    expect(fromA.status).toBe(202);
    expect(fromA.body.duplicate).toBeUndefined();
    expect(fromA.body.workflowId).toBe(`jira-${w.integrationId}-${identifier}`);
    await stack.client.workflow.getHandle(String(fromA.body.workflowId)).result();
    expect((await stack.db('groups').where('id', w.groupId).first('status')).status).toBe(1);

    const rows = await stack.db('webhook_deliveries').where('delivery_key', identifier).orderBy('id');
    expect(rows.map((r: { integration_id: string }) => Number(r.integration_id))).toEqual([siteB, w.integrationId]);
    // A repeat from A is still a duplicate of A's own delivery.
    const again = await sendWebhook(stack.api, payload, { identifier });
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, workflowId: fromA.body.workflowId } });
  });
});
