/**
 * Payload mutations with fast-check, per webhook route: a valid body (Jira issue_updated, a Discord button
 * click, a Teams card action) is mutated (values replaced by hostile ones, keys removed, types changed, the raw
 * bytes truncated or flipped), then signed as the provider would sign it and sent. Checked: no 5xx; every
 * accepted delivery finishes (not `failed`); a body whose signature does not match is refused with nothing
 * stored; and a group of another tenant (org "other", its own Jira site with the same issue key, no chat
 * integrations) never changes, whatever the body names.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Knex } from 'knex';
import { componentInteraction, createDiscordSigner } from '../support/discord-signing';
import * as fx from '../support/fixtures';
import { signConnectJwt } from '../support/jira-jwt';
import { buildIssueUpdatedPayload } from '../support/jira-simulator';
import { WEBHOOK_PATH } from '../support/jira-world';
import { cardAction, TEAM, TEAMS_PATH, TENANT } from '../support/teams-world';
import type { JiraWorld } from './jira-load';
import { pool, sleep } from './jira-load';
import type { Knobs, Row } from './scenarios';
import type { ChaosStack } from './stack';
import { DISCORD_BOT_TOKEN, SITE1, SITE2 } from './stack';

const FUZZ_KEY = 'FZ-1';
const FUZZ_EXTERNAL_ID = '90001';
const GUILD = '7100000000000000001';
const APPLICATION = '7200000000000000001';
const CHANNEL = '7300000000000000001';
const ALERT = '7400000000000000001';
const DISCORD_USER = '7500000000000000001';
const TEAMS_USER = { id: '29:1chaos-teams-user', name: 'Chaos Teams', aadObjectId: 'aad-chaos' };

export interface FuzzWorld {
  groupId: number;
  protectedGroupId: number;
  discordId: number;
  teamsId: number;
  signer: ReturnType<typeof createDiscordSigner>;
}

/** The fuzz target group (org acme) and the protected group of another tenant. */
export async function seedFuzzWorld(stack: ChaosStack, w: JiraWorld): Promise<FuzzWorld> {
  const { db } = stack;
  const groupId = await fx.insertGroup(db, w.projectId, { shortId: 9001, title: 'fuzz target' });
  await fx.linkExternalIssue(db, {
    groupId,
    orgId: w.orgId,
    integrationId: w.integrationId,
    key: FUZZ_KEY,
    externalId: FUZZ_EXTERNAL_ID,
  });
  // Another tenant: its own org, member, Jira site (same issue key and id) and group; no chat integration.
  const otherOrg = await fx.insertOrg(db, 'other');
  const otherProject = await fx.insertProject(db, otherOrg, 'other');
  const otherTeam = await fx.insertTeam(db, otherOrg, 'other', [otherProject]);
  await fx.addMember(db, otherOrg, w.users[0]!.id, [otherTeam]);
  const site2 = await fx.insertJiraIntegration(db, { ...SITE2, baseUrl: stack.jira2.baseUrl, emailScope: true });
  await fx.installIntegration(db, otherOrg, site2, fx.ALL_JIRA_SYNC);
  const protectedGroupId = await fx.insertGroup(db, otherProject, { shortId: 9002, title: 'protected' });
  await fx.linkExternalIssue(db, {
    groupId: protectedGroupId,
    orgId: otherOrg,
    integrationId: site2,
    key: FUZZ_KEY,
    externalId: FUZZ_EXTERNAL_ID,
  });

  const signer = createDiscordSigner();
  const discordId = await fx.insertDiscordIntegration(db, {
    guildId: GUILD,
    applicationId: APPLICATION,
    botToken: DISCORD_BOT_TOKEN,
    publicKeyHex: signer.publicKeyHex,
  });
  await fx.installIntegration(db, w.orgId, discordId);
  const dIdp = await fx.insertIdentityProvider(db, 'discord', GUILD);
  await fx.insertIdentity(db, { idpId: dIdp, userId: w.users[0]!.id, externalId: DISCORD_USER });
  await fx.insertChatMessage(db, { groupId, integrationId: discordId, channelId: CHANNEL, messageId: ALERT });
  stack.discord.seedMessage(CHANNEL, ALERT, { content: '' });

  const [row] = await db('integrations')
    .insert({
      provider: 'msteams',
      external_id: TEAM,
      name: 'Chaos Teams',
      metadata: { service_url: stack.teams.baseUrl, tenant_id: TENANT, app_id: stack.teams.appId },
    })
    .returning('id');
  const teamsId = Number((row as { id: string | number }).id);
  await fx.installIntegration(db, w.orgId, teamsId);
  const tIdp = await fx.insertIdentityProvider(db, 'msteams', TEAM);
  await fx.insertIdentity(db, { idpId: tIdp, userId: w.users[0]!.id, externalId: TEAMS_USER.id });
  return { groupId, protectedGroupId, discordId, teamsId, signer };
}

// ---- mutations -------------------------------------------------------------------------------------------

type Path = Array<string | number>;
type Op =
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown };
type Raw =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'wrap' }
  | { kind: 'pad'; n: number };
export interface Mutation {
  ops: Op[];
  raw: Raw | null;
}

function hostileValues(extra: readonly unknown[]): fc.Arbitrary<unknown> {
  const specials: unknown[] = [
    '\u0000',
    'a\u0000b',
    '',
    ' ',
    'x'.repeat(300),
    'y'.repeat(5_000),
    1e20,
    -1e20,
    8.64e15 + 1,
    -1,
    0,
    2 ** 53 + 1,
    '99999999999999999999',
    'user:99999999999999999999',
    '9999-12-31T23:59:59.000+0000',
    '10000-01-01T00:00:00.000+0000',
    '1999-12-31T23:59:59.000+0000',
    'not a date',
    '__proto__',
    'constructor',
    '<script>alert(1)</script>',
    "'; drop table groups; --",
    {},
    [],
    { __proto__: { polluted: true } },
    ...extra,
  ];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...specials), weight: 4 },
    { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
    { arbitrary: fc.integer(), weight: 1 },
    { arbitrary: fc.double(), weight: 1 },
    { arbitrary: fc.boolean(), weight: 1 },
    { arbitrary: fc.constant(null), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 }
  );
}

function mutationArb(extra: readonly unknown[]): fc.Arbitrary<Mutation> {
  const value = hostileValues(extra);
  const op: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value }), weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }), weight: 3 },
    {
      arbitrary: fc.record({
        kind: fc.constant('add' as const),
        at: fc.nat(),
        key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'fields', 'id')),
        value,
      }),
      weight: 1,
    }
  );
  const raw: fc.Arbitrary<Raw> = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('wrap' as const) }),
    fc.record({ kind: fc.constant('pad' as const), n: fc.constantFrom(10, 1_000, 1_100_000) })
  );
  return fc.record({
    ops: fc.array(op, { minLength: 1, maxLength: 4 }),
    raw: fc.option(raw, { freq: 8 }),
  });
}

function pathsOf(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (v && typeof v === 'object') {
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      pathsOf(child, p, out);
    }
  }
  return out;
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> | undefined {
  let cur: unknown = root;
  for (const p of path.slice(0, -1)) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>) : undefined;
}

/** The mutated raw body. */
export function applyMutation(base: Record<string, unknown>, m: Mutation): string {
  const doc = structuredClone<Record<string, unknown>>(base);
  for (const op of m.ops) {
    const paths = pathsOf(doc);
    if (paths.length === 0) break;
    const path = paths[op.at % paths.length]!;
    const parent = parentOf(doc, path);
    if (!parent) continue;
    const last = path[path.length - 1]!;
    if (op.kind === 'set') parent[last] = op.value;
    else if (op.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      const target = parent[last];
      if (target && typeof target === 'object' && !Array.isArray(target))
        Object.defineProperty(target, op.key, {
          value: op.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
  }
  let body = JSON.stringify(doc);
  const raw = m.raw;
  if (raw?.kind === 'truncate') body = body.slice(0, raw.at % Math.max(1, body.length));
  else if (raw?.kind === 'flip') {
    const buf = Buffer.from(body);
    buf[raw.at % buf.length] = raw.byte;
    body = buf.toString('latin1');
  } else if (raw?.kind === 'wrap') body = `[${body}]`;
  else if (raw?.kind === 'pad') body = `${body.slice(0, -1)},"pad":"${'p'.repeat(raw.n)}"}`;
  return body;
}

// ---- the runs --------------------------------------------------------------------------------------------

interface Snapshot {
  digest: string;
}

/** Everything about the other tenant that no webhook of ours may change. */
async function protectedState(db: Knex, f: FuzzWorld): Promise<Snapshot> {
  const g = await db('groups').where('id', f.protectedGroupId).first('status', 'substatus', 'resolved_at');
  const a = await db('group_assignees').where('group_id', f.protectedGroupId).select('user_id', 'team_id');
  const acts = await db('activities').where('group_id', f.protectedGroupId).count('* as n');
  const hist = await db('group_history').where('group_id', f.protectedGroupId).count('* as n');
  const ext = await db('external_issues')
    .join('group_links', 'group_links.linked_id', 'external_issues.id')
    .where('group_links.group_id', f.protectedGroupId)
    .select('external_issues.key', 'external_issues.assignee_updated_at', 'external_issues.status_updated_at');
  const integ = await db('integrations').orderBy('id').select('id', 'metadata', 'status');
  const digest = createHash('sha256').update(JSON.stringify({ g, a, acts, hist, ext, integ })).digest('hex');
  return { digest };
}

/** Running, nothing pending, last event a started timer: the run waits (e.g. for an account link). */
async function isParked(stack: ChaosStack, workflowId: string): Promise<boolean> {
  try {
    const handle = stack.client.workflow.getHandle(workflowId);
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING' || (d.raw.pendingActivities?.length ?? 0) > 0) return false;
    const history = await handle.fetchHistory();
    const last = history.events?.[history.events.length - 1];
    return last?.timerStartedEventAttributes != null;
  } catch {
    return false;
  }
}

interface Route {
  name: string;
  provider: 'jira' | 'discord' | 'msteams';
  base: () => Record<string, unknown>;
  extra: unknown[];
  /** Sends one (already mutated) body signed for it; returns the status. */
  send: (body: string) => Promise<number>;
  /** Sends the body with a signature made for another body (null when the route's signature does not cover the body). */
  sendMisSigned: ((body: string) => Promise<number>) | null;
}

function routes(stack: ChaosStack, w: JiraWorld, f: FuzzWorld): Route[] {
  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${stack.api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    await res.text();
    return res.status;
  };
  const u = w.users[0]!;
  const jiraBase = () =>
    buildIssueUpdatedPayload({
      issue: { id: FUZZ_EXTERNAL_ID, key: FUZZ_KEY, projectId: '10000', projectKey: 'FZ' },
      changedFields: ['assignee', 'status'],
      assignee: { accountId: u.accountId, displayName: u.name, emailAddress: u.email },
      statusCategoryKey: 'done',
      updated: new Date(Date.now() - 60_000).toISOString(),
    });
  const discordBase = () => {
    const token = `chaos-tok-${randomUUID()}`;
    stack.discord.seedInteraction(token, { applicationId: APPLICATION, channelId: CHANNEL, messageId: ALERT });
    return componentInteraction({
      applicationId: APPLICATION,
      guildId: GUILD,
      customId: `archive:${f.groupId}`,
      userId: DISCORD_USER,
      token,
      messageId: ALERT,
    });
  };
  const teamsBase = () =>
    cardAction(stack.teams, {
      groupId: f.groupId,
      integrationId: f.teamsId,
      actionType: '5',
      replyToId: `1:chaos-card-${f.groupId}`,
      user: TEAMS_USER,
    });
  const pid = f.protectedGroupId;
  return [
    {
      name: 'jira issue_updated',
      provider: 'jira',
      base: jiraBase,
      extra: [String(pid), pid, 'FZ-1', SITE2.clientKey, 'done', 'new', u.email, 'user2@chaos.example'],
      send: (body) =>
        post(WEBHOOK_PATH, body, {
          authorization: `JWT ${signConnectJwt({ ...SITE1, method: 'POST', path: WEBHOOK_PATH })}`,
          'x-atlassian-webhook-identifier': `fuzz-${randomUUID()}`,
        }),
      sendMisSigned: null,
    },
    {
      name: 'discord interactions',
      provider: 'discord',
      base: discordBase,
      extra: [
        `resolve:${pid}`,
        `archive:${pid}`,
        `assign:${pid}`,
        `assign_dialog:${pid}`,
        String(pid),
        pid,
        GUILD,
        APPLICATION,
        1,
        2,
        3,
        5,
      ],
      send: (body) => post('/webhooks/discord/interactions', body, f.signer.headers(body)),
      sendMisSigned: (body) => {
        const other = JSON.stringify(discordBase());
        return post('/webhooks/discord/interactions', body, f.signer.headers(other));
      },
    },
    {
      name: 'teams messages',
      provider: 'msteams',
      base: teamsBase,
      extra: [String(pid), pid, '1', '2', '3', '4', TEAM, TENANT, stack.teams.baseUrl, 'https://evil.example/'],
      send: async (body) => {
        let serviceUrl = stack.teams.baseUrl;
        try {
          const parsed = JSON.parse(body) as { serviceUrl?: unknown };
          if (typeof parsed.serviceUrl === 'string') serviceUrl = parsed.serviceUrl;
        } catch {
          // unparseable: sign for the simulator's service URL
        }
        const token = await stack.teams.signActivityToken({ serviceUrl, aud: stack.teams.appId });
        return post(TEAMS_PATH, body, { authorization: `Bearer ${token}` });
      },
      sendMisSigned: async (body) => {
        // A valid token for another service URL: the serviceurl claim does not match the body.
        const token = await stack.teams.signActivityToken({
          serviceUrl: 'https://other.example/',
          aud: stack.teams.appId,
        });
        return post(TEAMS_PATH, body, { authorization: `Bearer ${token}` });
      },
    },
  ];
}

export async function fuzzRoutes(stack: ChaosStack, w: JiraWorld, k: Knobs): Promise<Row[]> {
  const f = await seedFuzzWorld(stack, w);
  const rows: Row[] = [];
  for (const [i, route] of routes(stack, w, f).entries()) rows.push(await fuzzRoute(stack, f, route, k, k.seed + i));
  return rows;
}

async function fuzzRoute(stack: ChaosStack, f: FuzzWorld, route: Route, k: Knobs, seed: number): Promise<Row> {
  const { db } = stack;
  const t0 = Date.now();
  const before = await protectedState(db, f);
  const maxIdRow = await db('webhook_deliveries').max('id as id').first();
  const maxId = Number(maxIdRow?.id ?? 0);
  const cases = fc.sample(mutationArb(route.extra), { numRuns: k.fuzzRuns, seed });
  const failures = path.join(stack.dir, `fuzz-failures-${route.provider}.jsonl`);
  const statuses = new Map<number, number>();
  const problems: string[] = [];
  let fiveXx = 0;
  let networkErrors = 0;
  let misSigned = 0;
  let misSignedAccepted = 0;
  const tally = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
  await pool(cases, Math.min(k.concurrency, 8), async (m, i) => {
    const body = applyMutation(route.base(), m);
    try {
      const status = await route.send(body);
      tally(status);
      if (status >= 500) {
        fiveXx += 1;
        appendFileSync(
          failures,
          `${JSON.stringify({ route: route.name, seed, case: i, status, mutation: m, body })}\n`
        );
        if (problems.length < 8)
          problems.push(
            `5xx: ${status} for case ${i} (seed ${seed}), mutation ${JSON.stringify(m).slice(0, 240)}; full body in ${failures}`
          );
      }
      if (route.sendMisSigned && i % 4 === 0) {
        misSigned += 1;
        const s2 = await route.sendMisSigned(body);
        // A refusal before the signature is looked at (413 for a body over the limit) is a refusal too.
        if (s2 < 400 || s2 >= 500) {
          misSignedAccepted += 1;
          if (problems.length < 8) problems.push(`mis-signed body answered ${s2} (case ${i}, seed ${seed})`);
        }
      }
    } catch (err) {
      networkErrors += 1;
      if (problems.length < 8) problems.push(`network error for case ${i}: ${String(err)}`);
    }
  });
  // Let what was accepted finish (bounded), then compare. A run parked on a timer with nothing pending (a chat
  // user who is not linked waits up to 14 minutes for the link) is waiting for a person, not lost.
  const settleStart = Date.now();
  let open = 0;
  let parked = 0;
  const parkedOnce = new Set<string>();
  let lastOpen = Number.POSITIVE_INFINITY;
  let lastProgress = Date.now();
  for (;;) {
    const rows: Array<{ workflow_id: string | null }> = await db('webhook_deliveries')
      .where('id', '>', maxId)
      .where('provider', route.provider)
      .whereIn('status', ['accepted', 'running'])
      .select('workflow_id');
    parked = 0;
    for (const r of rows) {
      if (!r.workflow_id || !(await isParked(stack, r.workflow_id))) continue;
      if (parkedOnce.has(r.workflow_id)) parked += 1;
      else parkedOnce.add(r.workflow_id);
    }
    open = rows.length - parked;
    if (open < lastOpen) {
      lastOpen = open;
      lastProgress = Date.now();
    }
    if (open === 0 || Date.now() - settleStart > k.settleMs || Date.now() - lastProgress > 90_000) break;
    await sleep(1_000);
  }
  const outcome = await db('webhook_deliveries')
    .where('id', '>', maxId)
    .where('provider', route.provider)
    .groupBy('status')
    .select('status')
    .count('* as n');
  const failedRows = await db('webhook_deliveries')
    .where('id', '>', maxId)
    .where({ provider: route.provider, status: 'failed' })
    .limit(3)
    .select('delivery_key', 'reason');
  const failed = outcome.filter((o) => o.status === 'failed').reduce((s, o) => s + Number(o.n), 0);
  for (const r of failedRows) problems.push(`failed run: ${r.delivery_key}: ${r.reason}`);
  if (open > 0)
    problems.push(
      `${open} accepted deliveries still open when the settle stopped (90 s without progress, or the settle cap), and not waiting for an account link`
    );
  const after = await protectedState(db, f);
  const changed = before.digest !== after.digest ? 1 : 0;
  if (changed) problems.push('the other tenant’s group, links or integrations changed');
  return {
    name: `fuzz: ${route.name}`,
    sent: cases.length + misSigned,
    unique: cases.length,
    duplicates: 0,
    reordered: 0,
    lost: open,
    doubled: 0,
    fiveXx,
    mismatches: changed + misSignedAccepted + failed,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    notes: [
      `answers ${[...statuses.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}:${n}`)
        .join(' ')}`,
      route.sendMisSigned
        ? `${misSigned} mis-signed twins, ${misSignedAccepted} not refused`
        : 'body not covered by the signature (Connect JWT): no mis-signed twins',
      `deliveries: ${outcome.map((o) => `${String(o.status)} ${String(o.n)}`).join(', ') || 'none'}`,
      parked ? `${parked} runs waiting for an account link (the mutated chat user is not linked)` : '',
      `other tenant ${changed ? 'CHANGED' : 'unchanged'}`,
      networkErrors ? `${networkErrors} network errors` : '',
      `fast-check seed ${seed}`,
    ]
      .filter(Boolean)
      .join('; '),
    problems,
  };
}
