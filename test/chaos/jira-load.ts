/**
 * Jira `jira:issue_updated` load for the chaos run: a world (org, project, team, members with verified emails,
 * a Jira site with reverse assignee and status sync), fresh linked issues per scenario, a plan of events
 * (each sets assignee and status; event times strictly increase per issue) sent with duplicates and
 * reordering by a bounded pool of senders that behave like Jira (5xx and network errors are retried with
 * backoff, a bounded number of times), and the checks: lost, doubled, 5xx, final-state mismatches.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import * as fx from '../support/fixtures';
import { signConnectJwt } from '../support/jira-jwt';
import { buildIssueUpdatedPayload } from '../support/jira-simulator';
import { WEBHOOK_PATH } from '../support/jira-world';
import type { Rng } from './rng';
import type { ChaosStack } from './stack';
import { SITE1 } from './stack';

export interface JiraWorld {
  orgId: number;
  projectId: number;
  integrationId: number;
  users: Array<{ id: number; accountId: string; name: string; email: string }>;
}

export const USER_COUNT = 6;

export async function seedJiraWorld(stack: ChaosStack): Promise<JiraWorld> {
  const { db } = stack;
  const orgId = await fx.insertOrg(db, 'acme');
  const projectId = await fx.insertProject(db, orgId, 'backend');
  const teamId = await fx.insertTeam(db, orgId, 'backend', [projectId]);
  const users: JiraWorld['users'] = [];
  for (let i = 1; i <= USER_COUNT; i++) {
    const email = `user${i}@chaos.example`;
    const name = `Chaos User ${i}`;
    const id = await fx.insertUser(db, { username: `chaos${i}`, name, emails: [{ email }] });
    await fx.addMember(db, orgId, id, [teamId]);
    const accountId = `chaos-account-${i}`;
    stack.jira.addUser({ accountId, displayName: name, email, emailVisible: false });
    users.push({ id, accountId, name, email });
  }
  const integrationId = await fx.insertJiraIntegration(db, { ...SITE1, baseUrl: stack.jira.baseUrl, emailScope: true });
  await fx.installIntegration(db, orgId, integrationId, {
    sync_reverse_assignment: true,
    sync_status_reverse: true,
    resolution_strategy: 'resolve',
  });
  return { orgId, projectId, integrationId, users };
}

export interface LinkedIssue {
  key: string;
  externalId: string;
  groupId: number;
}

let externalIdSeq = 50_000;

/** `n` groups, each linked to its own Jira issue `<prefix>-<i>`. */
export async function createIssues(db: Knex, w: JiraWorld, prefix: string, n: number): Promise<LinkedIssue[]> {
  const out: LinkedIssue[] = [];
  for (let i = 1; i <= n; i++) {
    const key = `${prefix}-${i}`;
    const externalId = String(++externalIdSeq);
    const groupId = await fx.insertGroup(db, w.projectId, { shortId: externalIdSeq, title: `chaos ${key}` });
    await fx.linkExternalIssue(db, { groupId, orgId: w.orgId, integrationId: w.integrationId, key, externalId });
    out.push({ key, externalId, groupId });
  }
  return out;
}

export interface JiraEvent {
  identifier: string;
  issue: LinkedIssue;
  seq: number;
  /** The changelog names the assignee / the status (Jira sends one item per changed field). */
  changesAssignee: boolean;
  changesStatus: boolean;
  /** Index into the world's users, or null = unassigned. */
  user: number | null;
  done: boolean;
  updatedMs: number;
}

export interface Plan {
  events: JiraEvent[];
  /** Send order: indexes into `events` (duplicates appear twice). */
  order: number[];
  duplicates: number;
  /** Sends of an event after a newer event of the same issue was sent. */
  reordered: number;
}

/**
 * `total` sends over `issues`: `total / (1 + dupRate)` distinct events in time order per issue, a share
 * `reorderRate` of them moved later (past newer events of their issue), and copies of random events (the
 * duplicates) inserted after their original. The reordered figure is counted on the final order.
 */
export function planEvents(
  rng: Rng,
  o: { tag: string; issues: LinkedIssue[]; users: number; total: number; dupRate: number; reorderRate: number }
): Plan {
  const unique = Math.max(1, Math.round(o.total / (1 + o.dupRate)));
  const base = Date.now() - 6 * 3600_000;
  const seqs = new Map<string, number>();
  const events: JiraEvent[] = [];
  for (let i = 0; i < unique; i++) {
    const issue = o.issues[rng.int(o.issues.length)]!;
    const seq = (seqs.get(issue.key) ?? 0) + 1;
    seqs.set(issue.key, seq);
    const user = rng.next() < 0.15 ? null : rng.int(o.users);
    const which = rng.next();
    events.push({
      identifier: `chaos-${o.tag}-${i}-${randomUUID()}`,
      issue,
      seq,
      changesAssignee: which < 0.6,
      changesStatus: which >= 0.4,
      user,
      done: rng.next() < 0.5,
      updatedMs: base + seq * 1_000 + rng.int(500),
    });
  }
  // Reorder: a chosen event is sent 20..400 positions later than its time order.
  const keyed = events.map((_, i) => ({
    i,
    at: i + (rng.next() < o.reorderRate ? 20 + rng.int(380) : 0) + rng.next(),
  }));
  keyed.sort((a, b) => a.at - b.at);
  const order = keyed.map((k) => k.i);
  const duplicates = o.total - unique;
  for (let d = 0; d < duplicates; d++) {
    const pos = rng.int(order.length);
    const original = order[pos]!;
    const insertAt = Math.min(order.length, pos + 1 + rng.int(60));
    order.splice(insertAt, 0, original);
  }
  const newest = new Map<string, number>();
  let reordered = 0;
  const seen = new Set<number>();
  for (const idx of order) {
    const ev = events[idx]!;
    if (seen.has(idx)) continue;
    seen.add(idx);
    const max = newest.get(ev.issue.key) ?? 0;
    if (ev.seq < max) reordered += 1;
    else newest.set(ev.issue.key, ev.seq);
  }
  return { events, order, duplicates, reordered };
}

/**
 * The event's body. `withEmail: false` leaves the assignee's email out (the worker must find it); with
 * `accountOf`, the assignee's accountId is the one it returns (fresh accounts that no link knows yet).
 */
export function payloadOf(
  ev: JiraEvent,
  w: JiraWorld,
  withEmail: boolean,
  accountOf?: (ev: JiraEvent) => string
): string {
  const known = ev.user === null ? null : w.users[ev.user]!;
  const u = known && accountOf ? { ...known, accountId: accountOf(ev) } : known;
  return JSON.stringify(
    buildIssueUpdatedPayload({
      issue: { id: ev.issue.externalId, key: ev.issue.key, projectId: '10000', projectKey: 'CH' },
      changedFields: [
        ...(ev.changesAssignee ? ['assignee' as const] : []),
        ...(ev.changesStatus ? ['status' as const] : []),
      ],
      assignee:
        u === null
          ? null
          : { accountId: u.accountId, displayName: u.name, ...(withEmail ? { emailAddress: u.email } : {}) },
      statusCategoryKey: ev.done ? 'done' : 'indeterminate',
      updated: new Date(ev.updatedMs).toISOString(),
      changelogId: String(ev.seq),
    })
  );
}

/** Response tallies of one scenario. */
export class Tally {
  readonly byStatus = new Map<number, number>();
  networkErrors = 0;
  /** 503s while a fault was injected (or within the grace after it): the contract, retried. */
  expected503 = 0;
  /** Any other 5xx (a 503 outside a fault window, a 500, ...). Must be 0. */
  unexpected5xx = 0;
  readonly examples: string[] = [];
  /** The time until which a 503 counts as expected. */
  faultUntil = 0;
  faultFrom = Number.POSITIVE_INFINITY;

  count(status: number, what: string): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (status < 500) return;
    const now = Date.now();
    if (status === 503 && now >= this.faultFrom && now <= this.faultUntil) this.expected503 += 1;
    else {
      this.unexpected5xx += 1;
      if (this.examples.length < 5) this.examples.push(`${status} for ${what}`);
    }
  }
  /** Marks a fault window; 503s until `graceMs` after `end()` are expected. */
  faultStart(): void {
    this.faultFrom = Math.min(this.faultFrom, Date.now());
    this.faultUntil = Number.POSITIVE_INFINITY;
  }
  faultEnd(graceMs: number): void {
    this.faultUntil = Date.now() + graceMs;
  }
  statuses(): string {
    return [...this.byStatus.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}:${n}`)
      .join(' ');
  }
}

const MAX_ATTEMPTS = 80;

/** What the API answered a delivery in the end. */
export interface Answer {
  status: number;
  duplicate: boolean;
  workflowId?: string;
}

/** One delivery as Jira makes it: retried on 5xx and network errors (bounded), not on 4xx. */
export async function deliverJira(api: string, body: string, identifier: string, tally: Tally): Promise<Answer | null> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const token = signConnectJwt({ ...SITE1, method: 'POST', path: WEBHOOK_PATH });
    try {
      const res = await fetch(`${api}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `JWT ${token}`,
          'x-atlassian-webhook-identifier': identifier,
        },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      tally.count(res.status, identifier);
      if (res.status < 500) {
        const parsed = text ? (JSON.parse(text) as { duplicate?: boolean; workflowId?: string }) : {};
        return { status: res.status, duplicate: parsed.duplicate === true, workflowId: parsed.workflowId };
      }
    } catch {
      tally.networkErrors += 1;
    }
    await sleep(Math.min(250 * 2 ** Math.min(attempt, 3), 2_000));
  }
  return null;
}

/** Runs `items` through `fn` with at most `concurrency` in flight, in order of start. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Checked {
  unique: number;
  applied: number;
  skipped: number;
  failed: number;
  notFinished: number;
  lost: number;
  doubled: number;
  mismatches: number;
  skipReasons: string;
  settleMs: number;
  /** Workflow ids whose runs were counted in Temporal (every key answered 202 twice, plus a sample). */
  runsCounted: number;
  multi202: number;
  extraRuns: number;
  mismatchExamples: string[];
  lostExamples: string[];
}

const TERMINAL = ['applied', 'skipped', 'failed'];
/** No delivery finished for this long: what is still open is stuck, not slow. */
const STALL_MS = 90_000;

/**
 * Waits (bounded) for every delivery of the plan to finish, then compares: each distinct event answered 2xx
 * and has one finished, not failed, delivery row (else lost); no event started twice, no activity written
 * twice for one delivery (doubled); every issue's group equals its newest event (mismatch).
 */
export async function checkPlan(
  stack: ChaosStack,
  w: JiraWorld,
  plan: Plan,
  answers: Map<string, Array<Answer | null>>,
  settleMs: number
): Promise<Checked> {
  const { db } = stack;
  const keys = plan.events.map((e) => e.identifier);
  const t0 = Date.now();
  let rows: Array<{ delivery_key: string; status: string; reason: string | null }> = [];
  // Bounded, but patient while there is progress: stop when all finished, after STALL_MS without one more
  // delivery finishing, or at settleMs.
  let lastOpen = Number.POSITIVE_INFINITY;
  let lastProgress = Date.now();
  for (;;) {
    rows = await selectDeliveries(db, w.integrationId, keys);
    const open = rows.filter((r) => !TERMINAL.includes(r.status)).length;
    if (open < lastOpen) {
      lastOpen = open;
      lastProgress = Date.now();
    }
    if (open === 0 || Date.now() - t0 > settleMs || Date.now() - lastProgress > STALL_MS) break;
    await sleep(1_000);
  }
  const settle = Date.now() - t0;
  const byKey = new Map<string, typeof rows>();
  for (const r of rows) byKey.set(r.delivery_key, [...(byKey.get(r.delivery_key) ?? []), r]);
  let lost = 0;
  let doubled = 0;
  let multi202 = 0;
  const toCount = new Set<string>();
  let notFinished = 0;
  const lostExamples: string[] = [];
  const noteLost = (m: string) => {
    lost += 1;
    if (lostExamples.length < 5) lostExamples.push(m);
  };
  for (const ev of plan.events) {
    const got = answers.get(ev.identifier) ?? [];
    const ok = got.filter((a) => a !== null && a.status >= 200 && a.status < 300);
    if (ok.length === 0) noteLost(`${ev.identifier}: answers ${JSON.stringify(got)}`);
    else if (ok.filter((a) => a!.status === 202).length > 1) {
      // Two 202s for one key happen when a copy redrives a start racing the original's: count the runs.
      multi202 += 1;
      const id = ok.find((a) => a!.workflowId)?.workflowId;
      if (id) toCount.add(id);
    }
    if (toCount.size < 50 + multi202 && rngPick(ev.identifier)) {
      const id = ok.find((a) => a!.workflowId)?.workflowId;
      if (id) toCount.add(id);
    }
    const r = byKey.get(ev.identifier) ?? [];
    if (r.length > 1) doubled += r.length - 1;
    if (ok.length > 0 && r.length === 0) noteLost(`${ev.identifier}: 2xx but no delivery row`);
    else if (r[0] && !TERMINAL.includes(r[0].status)) {
      notFinished += 1;
      noteLost(`${ev.identifier}: still ${r[0].status} after ${settle} ms`);
    } else if (r[0]?.status === 'failed') noteLost(`${ev.identifier}: failed (${r[0].reason ?? ''})`);
  }
  const groupIds = [...new Set(plan.events.map((e) => e.issue.groupId))];
  const dupActivities = await db.raw(
    `select count(*)::int as n from (
       select group_id, type, source->>'delivery_key' from activities
       where group_id = any(?) and source is not null group by 1, 2, 3 having count(*) > 1) t`,
    [groupIds]
  );
  doubled += Number(dupActivities.rows[0].n);
  let extraRuns = 0;
  for (const id of toCount) {
    let runs = 0;
    for await (const _ of stack.client.workflow.list({ query: `WorkflowId = '${id.replace(/'/g, "\\'")}'` })) runs += 1;
    if (runs > 1) extraRuns += runs - 1;
  }
  doubled += extraRuns;
  const { mismatches, examples } = await compareFinalState(db, w, plan);
  const reasons = new Map<string, number>();
  for (const r of rows) {
    if (r.status !== 'skipped') continue;
    const reason = (r.reason ?? '').replace(/[0-9]+/g, 'N').slice(0, 60);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return {
    unique: plan.events.length,
    applied: rows.filter((r) => r.status === 'applied').length,
    skipped: rows.filter((r) => r.status === 'skipped').length,
    failed: rows.filter((r) => r.status === 'failed').length,
    notFinished,
    lost,
    doubled,
    mismatches,
    skipReasons: [...reasons.entries()].map(([r, n]) => `${n}× ${r}`).join('; '),
    settleMs: settle,
    runsCounted: toCount.size,
    multi202,
    extraRuns,
    mismatchExamples: examples,
    lostExamples,
  };
}

/** About one key in 40, chosen by its text (stable across runs of the same plan). */
function rngPick(key: string): boolean {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return (h & 0xffff) % 40 === 0;
}

async function selectDeliveries(db: Knex, integrationId: number, keys: string[]) {
  const out: Array<{ delivery_key: string; status: string; reason: string | null }> = [];
  for (let i = 0; i < keys.length; i += 1_000) {
    out.push(
      ...(await db('webhook_deliveries')
        .where({ provider: 'jira', integration_id: integrationId })
        .whereIn('delivery_key', keys.slice(i, i + 1_000))
        .select('delivery_key', 'status', 'reason'))
    );
  }
  return out;
}

/**
 * Every issue's group against its newest events: the assignee (user or none) of the newest event that changed
 * the assignee, the status (resolved iff done) of the newest that changed the status.
 */
async function compareFinalState(db: Knex, w: JiraWorld, plan: Plan) {
  const newestAssignee = new Map<number, JiraEvent>();
  const newestStatus = new Map<number, JiraEvent>();
  const newest = new Map<number, JiraEvent>();
  for (const ev of plan.events) {
    const g = ev.issue.groupId;
    if (!newest.has(g) || ev.seq > newest.get(g)!.seq) newest.set(g, ev);
    if (ev.changesAssignee && (!newestAssignee.has(g) || ev.seq > newestAssignee.get(g)!.seq))
      newestAssignee.set(g, ev);
    if (ev.changesStatus && (!newestStatus.has(g) || ev.seq > newestStatus.get(g)!.seq)) newestStatus.set(g, ev);
  }
  const ids = [...newest.keys()];
  const groups = await db('groups').whereIn('id', ids).select('id', 'status');
  const assignees = await db('group_assignees').whereIn('group_id', ids).select('group_id', 'user_id', 'team_id');
  const statusOf = new Map(groups.map((g: { id: string; status: number }) => [Number(g.id), Number(g.status)]));
  const assigneeOf = new Map(
    assignees.map((a: { group_id: string; user_id: string | null }) => [
      Number(a.group_id),
      a.user_id === null ? null : Number(a.user_id),
    ])
  );
  let mismatches = 0;
  const examples: string[] = [];
  for (const groupId of newest.keys()) {
    const a = newestAssignee.get(groupId);
    const st = newestStatus.get(groupId);
    // Groups start unassigned and unresolved.
    const wantUser = !a || a.user === null ? null : w.users[a.user]!.id;
    const wantStatus = st?.done ? 1 : 0;
    const gotUser = assigneeOf.get(groupId) ?? null;
    const gotStatus = statusOf.get(groupId);
    if (gotUser !== wantUser || gotStatus !== wantStatus) {
      mismatches += 1;
      if (examples.length < 5)
        examples.push(
          `${newest.get(groupId)!.issue.key} (group ${groupId}): want user ${wantUser} (event ${a?.seq ?? '-'}) status ${wantStatus} (event ${st?.seq ?? '-'}), got user ${gotUser} status ${gotStatus}`
        );
    }
  }
  return { mismatches, examples };
}
