/**
 * The bench's tracker world: org, project, team, a few members with verified emails, one Jira site (the simulator)
 * with every sync flag, and N groups each linked to its own Jira issue `<prefix>-<i>`. Plus signed deliveries.
 */
import type { Knex } from 'knex';
import * as fx from '../../test/support/fixtures';
import { signConnectJwt } from '../../test/support/jira-jwt';
import { buildIssueUpdatedPayload } from '../../test/support/jira-simulator';
import { WEBHOOK_PATH } from '../../test/support/jira-world';
import type { BenchStack } from './stack';
import { SITE } from './stack';

export const USERS = 4;

export interface World {
  orgId: number;
  projectId: number;
  integrationId: number;
  users: Array<{ id: number; name: string; email: string }>;
}

export interface Issue {
  key: string;
  externalId: string;
  groupId: number;
}

export async function seedWorld(stack: BenchStack): Promise<World> {
  const { db } = stack;
  const orgId = await fx.insertOrg(db, 'bench');
  const projectId = await fx.insertProject(db, orgId, 'backend');
  const teamId = await fx.insertTeam(db, orgId, 'backend', [projectId]);
  const users: World['users'] = [];
  for (let i = 1; i <= USERS; i++) {
    const email = `user${i}@bench.example`;
    const name = `Bench User ${i}`;
    const id = await fx.insertUser(db, { username: `bench${i}`, name, emails: [{ email }] });
    await fx.addMember(db, orgId, id, [teamId]);
    users.push({ id, name, email });
  }
  const integrationId = await fx.insertJiraIntegration(db, { ...SITE, baseUrl: stack.jira.baseUrl, emailScope: true });
  await fx.installIntegration(db, orgId, integrationId, fx.ALL_JIRA_SYNC);
  return { orgId, projectId, integrationId, users };
}

let externalIdSeq = 70_000;

/** `n` groups, each linked to its own Jira issue. Inserted in bulk (bounded: n ≤ 5000). */
export async function createIssues(db: Knex, w: World, prefix: string, n: number): Promise<Issue[]> {
  const out: Issue[] = [];
  for (let i = 1; i <= Math.min(n, 5_000); i++) {
    const key = `${prefix}-${i}`;
    const externalId = String(++externalIdSeq);
    const groupId = await fx.insertGroup(db, w.projectId, { shortId: externalIdSeq, title: `bench ${key}` });
    await fx.linkExternalIssue(db, { groupId, orgId: w.orgId, integrationId: w.integrationId, key, externalId });
    out.push({ key, externalId, groupId });
  }
  return out;
}

export function token(): string {
  return signConnectJwt({ ...SITE, method: 'POST', path: WEBHOOK_PATH });
}

/** An assignee change to `user` (its email in the payload unless `hiddenAccountId`: then Jira must be asked). */
export function assigneeBody(issue: Issue, user: World['users'][number], o: { hiddenAccountId?: string } = {}): string {
  return JSON.stringify(
    buildIssueUpdatedPayload({
      issue: { id: issue.externalId, key: issue.key, projectId: '10000', projectKey: 'BEN' },
      assignee: o.hiddenAccountId
        ? { accountId: o.hiddenAccountId, displayName: user.name }
        : { accountId: `acct-${user.id}`, displayName: user.name, emailAddress: user.email },
      changedFields: ['assignee'],
      updated: new Date().toISOString(),
    })
  );
}

export function statusBody(issue: Issue): string {
  return JSON.stringify(
    buildIssueUpdatedPayload({
      issue: { id: issue.externalId, key: issue.key, projectId: '10000', projectKey: 'BEN' },
      statusCategoryKey: 'done',
      changedFields: ['status'],
      updated: new Date().toISOString(),
    })
  );
}

export function webhookHeaders(identifier: string, jwt: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: `JWT ${jwt}`,
    'x-atlassian-webhook-identifier': identifier,
  };
}

export interface Sent {
  identifier: string;
  t0: number;
  ackMs: number;
  status: number;
}

/** Sends each body once, `concurrency` in flight (or at `ratePerSec` when given); bounded by `bodies.length`. */
export async function sendAll(
  api: string,
  items: Array<{ identifier: string; body: string }>,
  o: { concurrency: number; ratePerSec?: number; timeoutMs?: number }
): Promise<Sent[]> {
  const out: Sent[] = [];
  let jwt = token();
  let jwtAt = Date.now();
  const one = async (it: { identifier: string; body: string }) => {
    if (Date.now() - jwtAt > 60_000) {
      jwt = token();
      jwtAt = Date.now();
    }
    const t0 = Date.now();
    const p0 = performance.now();
    let status = 0;
    try {
      const res = await fetch(`${api}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers: webhookHeaders(it.identifier, jwt),
        body: it.body,
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 0; // timed out or connection refused
    }
    out.push({ identifier: it.identifier, t0, ackMs: performance.now() - p0, status });
  };
  if (o.ratePerSec) {
    const gap = 1000 / o.ratePerSec;
    const start = performance.now();
    const inflight = new Set<Promise<void>>();
    for (let i = 0; i < items.length; i++) {
      const wait = start + i * gap - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p: Promise<void> = one(items[i]!).finally(() => inflight.delete(p));
      inflight.add(p);
      // A bound on requests in flight: an open loop that never waits would hide a stuck server.
      while (inflight.size >= Math.max(o.concurrency, 1)) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    return out;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      for (let i = next++; i < items.length; i = next++) await one(items[i]!);
    })
  );
  return out;
}

/**
 * Waits (bounded) until every delivery with one of these identifiers is finished; returns identifier → finished
 * time (ms since epoch, the database clock on this same machine) and status.
 */
export async function waitFinished(
  db: Knex,
  integrationId: number,
  identifiers: string[],
  maxMs: number,
  /** Stop earlier when nothing finished for this long (a lost delivery never finishes). */
  stallMs = 15_000
): Promise<Map<string, { finishedAt: number; status: string }>> {
  const until = Date.now() + maxMs;
  const done = new Map<string, { finishedAt: number; status: string }>();
  let pending = [...identifiers];
  let progressAt = Date.now();
  while (pending.length > 0 && Date.now() < until && Date.now() - progressAt < stallMs) {
    const before = done.size;
    for (let i = 0; i < pending.length; i += 1000) {
      const rows: Array<{ delivery_key: string; finished_at: Date; status: string }> = await db('webhook_deliveries')
        .where({ provider: 'jira', integration_id: integrationId })
        .whereIn('delivery_key', pending.slice(i, i + 1000))
        .whereIn('status', ['applied', 'skipped', 'failed'])
        .select('delivery_key', 'finished_at', 'status');
      for (const r of rows)
        done.set(r.delivery_key, { finishedAt: new Date(r.finished_at).getTime(), status: r.status });
    }
    pending = pending.filter((k) => !done.has(k));
    if (done.size > before) progressAt = Date.now();
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 100));
  }
  return done;
}
