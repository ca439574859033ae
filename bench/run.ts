/**
 * `npm run bench` (issue 10): intake, end to end, history cost and an inline handler, each against its floor,
 * measured side by side in one run on this machine, printed as a table and written to bench/results.md.
 *
 *   npm run bench                      # the full run (under 10 minutes on 2 cores)
 *   BENCH_SCALE=smoke npx tsx bench/run.ts   # one tiny round (the smoke test); BENCH_REPORT=- writes no file
 *
 * Loopback only; every loop is bounded (request counts, durations, waits). Knobs: BENCH_N (P2 webhooks, 80),
 * BENCH_CONCURRENCY (P2 senders in flight, 10), BENCH_P1_SECONDS (6), BENCH_P1_RATE (fixed rate, 50/s: under the Jira route's saturation here, so it measures latency, not a queue),
 * BENCH_P4_RATE (10/s), BENCH_P4_SECONDS (10), BENCH_VARIANTS (comma list: sync,durable,queued,tuned,pool,two-workers,pg,pg-two-workers; pg = the Temporal server binary on Postgres, see bench/lib/temporal-postgres.ts),
 * BENCH_PARTS (p1,p2: p2 brings P3 and P4 with it), BENCH_REPORT (path, default bench/results.md; "-" = none), TEMPORAL_ADDRESS (use that server instead of a dev server).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import { format, resolveConfig } from 'prettier';
import { findTemporalCli } from '../src/dev/temporal-dev-server';
import { deliveryWorkflowId } from '../src/workflows/ids';
import { WEBHOOK_PATH } from '../test/support/jira-world';
import type { Child } from '../test/chaos/processes';
import { spawnEntry, stopChild, waitHttpOk } from '../test/chaos/processes';
import { freePort } from '../src/dev/temporal-dev-server';
import type { HistoryCost } from './lib/history-cost';
import { costOfFile, costOfLive } from './lib/history-cost';
import type { BenchStack, ServiceEnv } from './lib/stack';
import { startBenchStack } from './lib/stack';
import type { PgTemporal } from './lib/temporal-postgres';
import { pgTemporalMissing, startPgTemporal } from './lib/temporal-postgres';
import { fmtRatio, ms, percentile, perSec, ratio } from './lib/stats';
import type { Issue, Sent, World } from './lib/world';
import {
  assigneeBody,
  createIssues,
  seedWorld,
  sendAll,
  statusBody,
  token,
  waitFinished,
  webhookHeaders,
} from './lib/world';

const ROOT = path.resolve(__dirname, '..');
const SMOKE = process.env.BENCH_SCALE === 'smoke';
const int = (name: string, dflt: number, max: number) => {
  const v = Number(process.env[name] ?? dflt);
  return Math.min(Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt, max);
};
const K = {
  n: int('BENCH_N', SMOKE ? 4 : 80, 2_000),
  concurrency: int('BENCH_CONCURRENCY', SMOKE ? 2 : 10, 100),
  p1Seconds: int('BENCH_P1_SECONDS', SMOKE ? 1 : 6, 60),
  p1Rate: int('BENCH_P1_RATE', SMOKE ? 20 : 50, 5_000),
  p1Connections: int('BENCH_P1_CONNECTIONS', 16, 200),
  p4Rate: int('BENCH_P4_RATE', 10, 200),
  p4Seconds: int('BENCH_P4_SECONDS', SMOKE ? 1 : 10, 60),
  stormSeconds: 10,
  drainMs: SMOKE ? 30_000 : 120_000,
};
const VARIANTS = new Set(
  (process.env.BENCH_VARIANTS ?? (SMOKE ? 'sync' : 'sync,durable,queued,tuned,pool,two-workers,pg,pg-two-workers'))
    .split(',')
    .map((s) => s.trim())
);
/** Which parts run: p1 (intake), p2 (end to end, with P3 and P4 after it); default both. */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'p1,p2').split(',').map((s) => s.trim()));
const REPORT = process.env.BENCH_REPORT ?? path.join(ROOT, 'bench', 'results.md');
const log = (m: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** One figure: ours vs its floor, with the two absolute numbers. */
interface Row {
  figure: string;
  variant: string;
  ours: string;
  floor: string;
  ratio: string;
  goal: string;
  met: string;
}
const rows: Row[] = [];
const notes: string[] = [];
function row(
  figure: string,
  variant: string,
  ours: number,
  floor: number,
  fmt: (n: number) => string,
  goal: string,
  ok: (r: number) => boolean | null
) {
  const r = ratio(ours, floor);
  const met = ok(r);
  rows.push({
    figure,
    variant,
    ours: fmt(ours),
    floor: fmt(floor),
    ratio: fmtRatio(r),
    goal,
    met: met === null ? '' : met ? 'yes' : 'NO',
  });
  log(
    `${figure} [${variant}]: ${fmt(ours)} vs ${fmt(floor)} = ${fmtRatio(r)} ${goal ? `(goal ${goal}: ${met ? 'met' : 'not met'})` : ''}`
  );
}

let idSeq = 0;
const nextId = (tag: string) => `bench-${tag}-${process.pid}-${++idSeq}`;

// ---------------------------------------------------------------- P1 intake
interface Cannon {
  accepted: number;
  perSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}
/** Issue numbers of P1's deliveries, unique across all of P1's rounds (one issue per delivery). */
let issueSeq = 0;

async function cannon(
  url: string,
  o: { jira: boolean; issue: Issue; world: World; seconds: number; rate?: number; connections: number }
): Promise<Cannon> {
  const body = assigneeBody(o.issue, o.world.users[0]!);
  const jwt = token();
  const tag = randomUUID().slice(0, 8);
  let n = 0;
  // Every Jira delivery is for its own issue (as in a real burst across a site), so no intake mode is helped by
  // one issue's deliveries being started one after another.
  const own = (i: number) =>
    body
      .replaceAll(JSON.stringify(o.issue.key), JSON.stringify(`BEN-${900_000 + i}`))
      .replaceAll(JSON.stringify(o.issue.externalId), JSON.stringify(String(9_000_000 + i)));
  const result = await autocannon({
    url: o.jira ? `${url}${WEBHOOK_PATH}` : `${url}/bench/bare`,
    method: 'POST',
    connections: o.connections,
    duration: o.seconds,
    ...(o.rate ? { overallRate: o.rate } : {}),
    headers: webhookHeaders('x', jwt),
    body,
    requests: [
      {
        setupRequest: (req) => {
          const i = ++n;
          return {
            ...req,
            ...(o.jira ? { body: own(++issueSeq) } : {}),
            headers: { ...req.headers, 'x-atlassian-webhook-identifier': `p1-${tag}-${i}` },
          };
        },
      },
    ],
  });
  const accepted = result['2xx'];
  return {
    accepted,
    perSec: accepted / Math.max(result.duration, 0.001),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** P1 variants: the three intake modes, and queued with the per-site secret cached (JIRA_SECRET_CACHE_MS). */
const P1_VARIANTS = [
  { id: 'sync', mode: 'sync', label: 'JIRA_INTAKE=sync' },
  { id: 'durable', mode: 'durable', label: 'JIRA_INTAKE=durable' },
  { id: 'queued', mode: 'queued', label: 'JIRA_INTAKE=queued' },
  {
    id: 'queued',
    mode: 'queued',
    label: 'queued + JIRA_SECRET_CACHE_MS=5000',
    extra: { JIRA_SECRET_CACHE_MS: '5000' },
  },
  // Diagnostic, not a mode to run: the integration paused, so deliveries are verified and stored but nothing is
  // started. What the API accepts when no start competes with it for these two cores.
  {
    id: 'queued',
    mode: 'queued',
    label: 'queued + secret cache, site paused (intake alone)',
    extra: { JIRA_SECRET_CACHE_MS: '5000' },
    paused: true,
  },
] as const;

/**
 * Queued mode leaves the starts to the pump: waits (at most 120 s) until it has started every queued delivery, so
 * the next phase is not measured against the drain of the last one. Returns how long that took and how many.
 */
async function drainQueued(stack: BenchStack): Promise<{ waiting: number; ms: number; left: number }> {
  const count = async () =>
    Number(
      (
        await stack
          .db('webhook_deliveries')
          .where('status', 'accepted')
          .whereRaw("run->>'queued' = 'true'")
          .whereRaw("run->>'startedAt' is null")
          .count({ n: '*' })
      )[0]!.n
    );
  const t0 = Date.now();
  const waiting = await count();
  let left = waiting;
  while (left > 0 && Date.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 250));
    left = await count();
  }
  return { waiting, ms: Date.now() - t0, left };
}

async function p1(stack: BenchStack, world: World, issue: Issue, variant: (typeof P1_VARIANTS)[number]): Promise<void> {
  const mode = variant.mode;
  const paused = 'paused' in variant && variant.paused;
  if (paused) await stack.db('integrations').where('id', world.integrationId).update({ paused_at: stack.db.fn.now() });
  // No worker on this task queue: the runs are started, not executed, so only the answer path is measured.
  const api = await stack.startApi({
    taskQueue: `bench-p1-${mode}-${process.pid}`,
    jiraIntake: mode,
    extra: 'extra' in variant ? variant.extra : undefined,
  });
  try {
    const base = { world, issue, connections: K.p1Connections };
    if (!SMOKE) {
      await cannon(api.url, { ...base, jira: true, seconds: 2 }); // warm-up (JIT, pools, connections)
      await cannon(api.url, { ...base, jira: false, seconds: 2 });
      if (mode === 'queued') await drainQueued(stack);
    }
    const bareSat = await cannon(api.url, { ...base, jira: false, seconds: K.p1Seconds });
    const jiraSat = await cannon(api.url, { ...base, jira: true, seconds: K.p1Seconds });
    if (mode === 'queued' && !paused) {
      const d = await drainQueued(stack);
      notes.push(
        `P1 ${variant.label}: after the ${K.p1Seconds} s burst (${jiraSat.accepted} accepted), ${d.waiting} were still waiting for the pump; ` +
          (d.left === 0
            ? `all started ${(d.ms / 1000).toFixed(1)} s later (${Math.round((d.waiting * 1000) / Math.max(d.ms, 1))}/s).`
            : `${d.left} still waiting after ${Math.round(d.ms / 1000)} s.`)
      );
    }
    const bareFix = await cannon(api.url, { ...base, jira: false, seconds: K.p1Seconds, rate: K.p1Rate });
    const jiraFix = await cannon(api.url, { ...base, jira: true, seconds: K.p1Seconds, rate: K.p1Rate });
    const v = variant.label;
    row(
      'P1 accepted/s at saturation (16 connections)',
      v,
      jiraSat.perSec,
      bareSat.perSec,
      perSec,
      '≥ 1,000/s absolute',
      () => jiraSat.perSec >= 1000
    );
    row(`P1 p50 at ${K.p1Rate}/s`, v, jiraFix.p50, bareFix.p50, ms, '', () => null);
    row(`P1 p99 at ${K.p1Rate}/s`, v, jiraFix.p99, bareFix.p99, ms, '≤ 3×', (r) => r <= 3);
    if (jiraSat.non2xx + jiraSat.errors + jiraFix.non2xx + jiraFix.errors > 0)
      notes.push(
        `P1 ${v}: non-2xx ${jiraSat.non2xx + jiraFix.non2xx}, errors/timeouts ${jiraSat.errors + jiraFix.errors} on the Jira route.`
      );
    notes.push(
      `P1 ${v}: offered at fixed rate ${K.p1Rate}/s for ${K.p1Seconds} s: Jira ${jiraFix.accepted} accepted, bare ${bareFix.accepted}.`
    );
  } finally {
    await stack.stop(api.child);
    if (paused) await stack.db('integrations').where('id', world.integrationId).update({ paused_at: null });
  }
}

// ---------------------------------------------------------------- P2 end to end
interface E2E {
  completed: number;
  perSec: number;
  p50: number;
  p99: number;
  failed: number;
  /** Raw latencies and the round's span (first send → last finish), to pool rounds. */
  lat: number[];
  spanMs: number;
}

/** Pools rounds: completed per second over the rounds' summed spans, percentiles over all latencies. */
function pool(rounds: E2E[]): E2E {
  const lat = rounds.flatMap((r) => r.lat);
  const spanMs = rounds.reduce((t, r) => t + r.spanMs, 0);
  return {
    completed: lat.length,
    perSec: lat.length / Math.max(spanMs / 1000, 0.001),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    failed: rounds.reduce((t, r) => t + r.failed, 0),
    lat,
    spanMs,
  };
}
function e2eOf(sent: Sent[], done: Map<string, { finishedAt: number; status: string }>): E2E {
  const lat: number[] = [];
  let failed = 0;
  let last = 0;
  const first = Math.min(...sent.map((s) => s.t0));
  for (const s of sent) {
    const d = done.get(s.identifier);
    if (!d) continue;
    if (d.status !== 'applied') failed++;
    lat.push(d.finishedAt - s.t0);
    last = Math.max(last, d.finishedAt);
  }
  const spanMs = Math.max(last - first, 1);
  return {
    completed: lat.length,
    perSec: lat.length / (spanMs / 1000),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    failed,
    lat,
    spanMs,
  };
}

async function oursE2E(stack: BenchStack, api: string, world: World, issues: Issue[], tag: string): Promise<E2E> {
  const items = issues.map((issue, i) => ({
    identifier: nextId(tag),
    body: assigneeBody(issue, world.users[i % world.users.length]!),
  }));
  const sent = await sendAll(api, items, { concurrency: K.concurrency });
  const bad = sent.filter((s) => s.status !== 202).length;
  if (bad > 0) notes.push(`P2 ${tag}: ${bad} webhook(s) not answered 202.`);
  const done = await waitFinished(
    stack.db,
    world.integrationId,
    items.map((i) => i.identifier),
    K.drainMs
  );
  const r = e2eOf(sent, done);
  if (r.completed < items.length)
    notes.push(`P2 ${tag}: only ${r.completed}/${items.length} finished within ${K.drainMs / 1000} s.`);
  if (r.failed > 0) notes.push(`P2 ${tag}: ${r.failed} finished but not applied.`);
  return r;
}

async function floorE2E(client: Client, taskQueue: string, shape: Shape, n: number): Promise<E2E> {
  const ids = Array.from({ length: n }, () => nextId('floor'));
  const t0 = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: K.concurrency }, async () => {
      for (let i = next++; i < ids.length; i = next++) {
        t0.set(ids[i]!, Date.now());
        await client.workflow.start('benchFloor', { taskQueue, workflowId: ids[i]!, args: [shape] });
      }
    })
  );
  const done = new Map<string, { finishedAt: number; status: string }>();
  const until = Date.now() + K.drainMs;
  await Promise.all(
    ids.map(async (id) => {
      const h = client.workflow.getHandle(id);
      await Promise.race([h.result(), new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())))]);
      const d = await h.describe();
      if (d.closeTime) done.set(id, { finishedAt: d.closeTime.getTime(), status: 'applied' });
    })
  );
  return e2eOf(
    ids.map((id) => ({ identifier: id, t0: t0.get(id)!, ackMs: 0, status: 202 })),
    done
  );
}

/** The shape of one assignee run (read from a live history by P3): the floor gets as many of each kind. */
interface Shape {
  activities: number;
  localActivities: number;
}
let assigneeShape: Shape = { activities: 1, localActivities: 7 };
const shapeSize = () => assigneeShape.activities + assigneeShape.localActivities;

async function p2(
  stack: BenchStack,
  world: World,
  v: ServiceEnv,
  label: string,
  workers = 1
): Promise<{ api: string; apiChild: Child; workerChildren: Child[] }> {
  const api = await stack.startApi(v);
  const workerChildren: Child[] = [];
  for (let i = 0; i < workers; i++) workerChildren.push(await stack.startWorker(v));
  const floorQueue = `${v.taskQueue}-floor`;
  // As many floor workers as ours, with the same settings.
  const floorWorkers: Child[] = [];
  for (let i = 0; i < workers; i++)
    floorWorkers.push(await stack.startWorker({ ...v, taskQueue: floorQueue }, 'bench/floor-worker.ts'));
  const client = v.temporal?.client ?? stack.client;
  const oursRounds: E2E[] = [];
  const floorRounds: E2E[] = [];
  const regularRounds: E2E[] = [];
  const withRegularFloor = label.startsWith('JIRA_INTAKE=durable') && !SMOKE;
  try {
    if (!SMOKE) {
      await oursE2E(stack, api.url, world, await createIssues(stack.db, world, `W${++idSeq}`, 10), `${label}-warm`);
      await floorE2E(client, floorQueue, assigneeShape, 10);
    }
    // A B B A: ours and the floor alternate in two halves, so a drift in the machine's load hits both alike.
    const half = Math.max(1, Math.floor(K.n / 2));
    const oursRound = async () =>
      oursRounds.push(
        await oursE2E(stack, api.url, world, await createIssues(stack.db, world, `E${++idSeq}`, half), label)
      );
    const floorRound = async () => floorRounds.push(await floorE2E(client, floorQueue, assigneeShape, half));
    // The floor as the issue first defined it: as many no-op activities, all regular (the shape every run had
    // before the database steps became local activities). Run for the durable variant only, nested C C inside.
    const regularRound = async () =>
      regularRounds.push(await floorE2E(client, floorQueue, { activities: shapeSize(), localActivities: 0 }, half));
    await oursRound();
    await floorRound();
    if (withRegularFloor) {
      await regularRound();
      await regularRound();
    }
    await floorRound();
    await oursRound();
  } finally {
    for (const w of floorWorkers) await stack.stop(w);
  }
  const ours = pool(oursRounds);
  const floor = pool(floorRounds);
  row('P2 completed/s (webhook → applied)', label, ours.perSec, floor.perSec, perSec, '≥ 0.8×', (r) => r >= 0.8);
  row('P2 p50 first byte → applied', label, ours.p50, floor.p50, ms, '', () => null);
  row('P2 p99 first byte → applied', label, ours.p99, floor.p99, ms, '', () => null);
  if (regularRounds.length > 0) {
    const regular = pool(regularRounds);
    row(
      'P2 completed/s vs an all-regular no-op floor',
      label,
      ours.perSec,
      regular.perSec,
      perSec,
      '≥ 0.8×',
      (r) => r >= 0.8
    );
  }
  return { api: api.url, apiChild: api.child, workerChildren };
}

// ---------------------------------------------------------------- P3 history cost
const costs: Array<{ what: string; source: string; c: HistoryCost }> = [];
async function p3(stack: BenchStack, api: string, world: World): Promise<void> {
  const cli = findTemporalCli({ build: false });
  const [a, s] = await createIssues(stack.db, world, `H${++idSeq}`, 2);
  const ida = nextId('p3-assignee');
  const ids = nextId('p3-status');
  await sendAll(api, [{ identifier: ida, body: assigneeBody(a!, world.users[1]!) }], { concurrency: 1 });
  await sendAll(api, [{ identifier: ids, body: statusBody(s!) }], { concurrency: 1 });
  await waitFinished(stack.db, world.integrationId, [ida, ids], 60_000);
  for (const [what, key] of [
    ['assignee webhook', ida],
    ['status webhook', ids],
  ] as const) {
    const wf = deliveryWorkflowId('jira', key, world.integrationId);
    await stack.client.workflow.getHandle(wf).result();
    const c = costOfLive(cli, stack.temporalAddress, wf);
    costs.push({ what, source: `live run ${wf}`, c });
    if (what === 'assignee webhook') assigneeShape = { activities: c.activities, localActivities: c.localActivities };
  }
  for (const [what, file] of [
    ['Discord click (archive)', 'discordInteraction/archive.json'],
    ['Discord click (assign user)', 'discordInteraction/assign-user.json'],
    ['Teams action (resolve)', 'teamsCardAction/resolve.json'],
    ['Teams action (assign me)', 'teamsCardAction/assign-me.json'],
  ] as const)
    costs.push({
      what,
      source: `test/replay/histories/${file}`,
      c: costOfFile(path.join(ROOT, 'test/replay/histories', file)),
    });
  for (const x of costs)
    log(`P3 ${x.what}: ${x.c.events} events, ${x.c.actions} actions (${JSON.stringify(x.c.breakdown)})`);
}

// ---------------------------------------------------------------- P4 vs an inline handler
interface P4Result {
  ackP50: number;
  ackP99: number;
  storm: { sent: number; ok: number; s5xx: number; slow: number; lost: number; appliedAfter: number };
}

async function p4Round(stack: BenchStack, url: string, world: World, tag: string): Promise<P4Result> {
  const jira = stack.jira;
  const EMAIL = { method: 'GET', pathPrefix: '/rest/api/3/user/email' };
  const addUsers = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const u = world.users[i % world.users.length]!;
      const accountId = `${prefix}-${i}`;
      jira.addUser({ accountId, displayName: u.name, email: u.email, emailVisible: false });
      return { accountId, user: u };
    });
  const count = K.p4Rate * K.p4Seconds;
  // Calm: the email API answers in 200 ms; every webhook names a new account, so every run asks it.
  jira.delayNext(EMAIL, 200, 100_000);
  const calmIssues = await createIssues(stack.db, world, `C${++idSeq}`, count);
  const calmUsers = addUsers(`calm-${tag}`, count);
  const calm = calmIssues.map((issue, i) => ({
    identifier: nextId(`${tag}-calm`),
    body: assigneeBody(issue, calmUsers[i]!.user, { hiddenAccountId: calmUsers[i]!.accountId }),
  }));
  const calmSent = await sendAll(url, calm, { concurrency: 50, ratePerSec: K.p4Rate });
  await waitFinished(
    stack.db,
    world.integrationId,
    calm.map((c) => c.identifier),
    K.drainMs
  );
  const acks = calmSent.filter((s) => s.status === 202).map((s) => s.ackMs);
  // Storm: the email API answers 429 (Retry-After: 1) for 10 s, while webhooks keep coming at the same rate.
  const stormCount = K.p4Rate * (SMOKE ? 1 : K.stormSeconds);
  const stormIssues = await createIssues(stack.db, world, `S${++idSeq}`, stormCount);
  const stormUsers = addUsers(`storm-${tag}`, stormCount);
  const storm = stormIssues.map((issue, i) => ({
    identifier: nextId(`${tag}-storm`),
    body: assigneeBody(issue, stormUsers[i]!.user, { hiddenAccountId: stormUsers[i]!.accountId }),
  }));
  jira.failNext(EMAIL, 1_000_000, { status: 429, headers: { 'Retry-After': '1' } });
  const stormEnds = setTimeout(() => {
    // The simulator forgets faults only with its state: clear both, then put the users and the delay back.
    jira.reset();
    for (const u of [...calmUsers, ...stormUsers])
      jira.addUser({ accountId: u.accountId, displayName: u.user.name, email: u.user.email, emailVisible: false });
    jira.delayNext(EMAIL, 200, 100_000);
  }, K.stormSeconds * 1000);
  const stormSent = await sendAll(url, storm, { concurrency: 50, ratePerSec: K.p4Rate, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 0));
  const settle = await waitFinished(
    stack.db,
    world.integrationId,
    storm.map((c) => c.identifier),
    K.drainMs
  );
  clearTimeout(stormEnds);
  jira.reset();
  const applied = [...settle.values()].filter((d) => d.status === 'applied').length;
  return {
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    storm: {
      sent: stormSent.length,
      ok: stormSent.filter((s) => s.status === 202).length,
      s5xx: stormSent.filter((s) => s.status >= 500 || s.status === 0).length,
      slow: stormSent.filter((s) => s.ackMs > 1_000).length,
      lost: storm.length - applied,
      appliedAfter: applied,
    },
  };
}

const p4Results: Array<{ who: string; r: P4Result }> = [];
async function p4Inline(stack: BenchStack, world: World): Promise<P4Result> {
  const port = await freePort();
  const child = spawnEntry(
    'bench/inline-server.ts',
    stack.envFor({ taskQueue: 'unused' }, port),
    path.join(stack.dir, 'inline.log')
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitHttpOk(`${url}/healthz`, 60_000);
    return await p4Round(stack, url, world, 'inline');
  } finally {
    await stopChild(child, 'SIGTERM', 5_000);
  }
}

// ---------------------------------------------------------------- report
function machine(stack: BenchStack): string[] {
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus.length} cores (${cpus[0]?.model ?? 'unknown'}), load average at start ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (the machine is shared)`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free at start`,
    `- Node ${process.version}, ${os.type()} ${os.release()}`,
    `- Temporal: ${stack.temporalVersion.replace(/\n/g, ' ')}; persistence: ${stack.temporalPersistence}`,
    `- Postgres 127.0.0.1:5432 (database ${stack.databaseName}, dropped at the end); Redis 127.0.0.1:6379 db 12`,
    `- API and worker: separate child processes (src/api/server.ts, src/worker.ts) with their production env; bench load generator (autocannon / fetch) and the Jira simulator in the bench process`,
  ];
}

function table(): string {
  const head = '| figure | variant | ours | floor | ratio | goal | met |\n|---|---|---|---|---|---|---|';
  return [
    head,
    ...rows.map((r) => `| ${r.figure} | ${r.variant} | ${r.ours} | ${r.floor} | ${r.ratio} | ${r.goal} | ${r.met} |`),
  ].join('\n');
}

function costTable(): string {
  const head = '| run | events | billable actions | breakdown | source |\n|---|---|---|---|---|';
  return [
    head,
    ...costs.map(
      (x) =>
        `| ${x.what} | ${x.c.events} | ${x.c.actions} | ${Object.entries(x.c.breakdown)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} | ${x.source} |`
    ),
  ].join('\n');
}

function p4Table(): string {
  const head =
    '| handler | calm ack p50 | calm ack p99 | storm: sent | 202 | 5xx/no answer | slow (> 1 s) | applied after | lost |\n|---|---|---|---|---|---|---|---|---|';
  return [
    head,
    ...p4Results.map(
      ({ who, r }) =>
        `| ${who} | ${ms(r.ackP50)} | ${ms(r.ackP99)} | ${r.storm.sent} | ${r.storm.ok} | ${r.storm.s5xx} | ${r.storm.slow} | ${r.storm.appliedAfter} | ${r.storm.lost} |`
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  log(`knobs ${JSON.stringify(K)}; variants ${[...VARIANTS].join(',')}`);
  const stack = await startBenchStack(log);
  const machineLines = machine(stack);
  try {
    const world = await seedWorld(stack);
    const [p1Issue] = await createIssues(stack.db, world, 'P1', 1);
    const tq = (s: string) => `bench-${s}-${process.pid}`;

    for (const variant of P1_VARIANTS) {
      if (!VARIANTS.has(variant.id) || !PARTS.has('p1')) continue;
      log(`P1 intake, ${variant.label}`);
      await p1(stack, world, p1Issue!, variant);
    }

    const tuned = {
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '50',
      WORKER_WORKFLOW_POLLERS: '4',
      WORKER_ACTIVITY_POLLERS: '4',
      WORKER_MAX_CACHED_WORKFLOWS: '1000',
    };
    const variants: Array<{
      id: string;
      label: string;
      v: ServiceEnv;
      workers?: number;
      before?: () => Promise<void>;
    }> = [
      { id: 'sync', label: 'JIRA_INTAKE=sync, SDK defaults', v: { taskQueue: tq('sync'), jiraIntake: 'sync' } },
      {
        id: 'durable',
        label: 'JIRA_INTAKE=durable, SDK defaults',
        v: { taskQueue: tq('durable'), jiraIntake: 'durable' },
      },
      {
        id: 'queued',
        label: 'JIRA_INTAKE=queued, SDK defaults',
        v: { taskQueue: tq('queued'), jiraIntake: 'queued' },
      },
      {
        id: 'tuned',
        label: 'durable + worker tuning',
        v: { taskQueue: tq('tuned'), jiraIntake: 'durable', extra: tuned },
      },
      {
        id: 'pool',
        label: 'durable + DB_POOL_MAX=20',
        v: { taskQueue: tq('pool'), jiraIntake: 'durable', extra: { DB_POOL_MAX: '20' } },
      },
      {
        id: 'two-workers',
        label: 'durable, 2 worker processes',
        v: { taskQueue: tq('two'), jiraIntake: 'durable' },
        workers: 2,
      },
    ];
    let pg: PgTemporal | undefined;
    let pgConnection: Connection | undefined;
    if (VARIANTS.has('pg') || VARIANTS.has('pg-two-workers')) {
      const missing = pgTemporalMissing();
      if (missing) notes.push(`Temporal on Postgres not run: ${missing}.`);
      else {
        // Started only when its variants come (an idle server would still cost CPU during the others).
        let temporal: { address: string; client: Client } | undefined;
        const lazy = {
          get address() {
            return temporal!.address;
          },
          get client() {
            return temporal!.client;
          },
        };
        const ensure = async () => {
          if (temporal) return;
          pg = await startPgTemporal(stack.dir, findTemporalCli({ build: false }), log);
          pgConnection = await Connection.connect({ address: pg.address });
          temporal = { address: pg.address, client: new Client({ connection: pgConnection }) };
          machineLines.push(`- Scale-out variants: ${pg.version}; persistence: ${pg.persistence}`);
        };
        variants.push(
          {
            id: 'pg',
            label: 'durable, Temporal server on Postgres, 1 worker',
            v: { taskQueue: tq('pg'), jiraIntake: 'durable', temporal: lazy },
            before: ensure,
          },
          {
            id: 'pg-two-workers',
            label: 'durable, Temporal server on Postgres, 2 workers',
            v: { taskQueue: tq('pg2'), jiraIntake: 'durable', temporal: lazy },
            workers: 2,
            before: ensure,
          }
        );
      }
    }
    let p3Done = false;
    for (const x of variants) {
      if (!VARIANTS.has(x.id) || !PARTS.has('p2')) continue;
      log(`P2 end to end: ${x.label}`);
      let up: Awaited<ReturnType<typeof p2>>;
      try {
        await x.before?.();
        up = await p2(stack, world, x.v, x.label, x.workers ?? 1);
      } catch (err) {
        notes.push(`P2 ${x.label} did not finish: ${(err as Error).message}`);
        continue;
      }
      try {
        if (!p3Done) {
          log('P3 history cost');
          await p3(stack, up.api, world);
          p3Done = true;
        }
        if ((x.id === 'sync' || x.id === 'durable' || x.id === 'queued') && !SMOKE) {
          log(`P4 ours (${x.label}): email API 200 ms, then 429 for ${K.stormSeconds} s`);
          p4Results.push({ who: `ours, ${x.label}`, r: await p4Round(stack, up.api, world, x.id) });
        }
      } finally {
        for (const w of up.workerChildren) await stack.stop(w);
        await stack.stop(up.apiChild);
      }
    }
    if (pgConnection) await pgConnection.close();
    if (pg) await pg.stop();
    if (!SMOKE && PARTS.has('p2') && (VARIANTS.has('sync') || VARIANTS.has('durable'))) {
      log('P4 inline handler (the whole chain inside the request)');
      const inline = await p4Inline(stack, world);
      p4Results.push({ who: 'inline (Sentry-style)', r: inline });
      for (const { who, r } of p4Results.filter((p) => p.who.startsWith('ours')))
        row(
          'P4 ack p99, email API 200 ms',
          who.replace('ours, ', ''),
          r.ackP99,
          inline.ackP99,
          ms,
          '≤ 0.1×',
          (q) => q <= 0.1
        );
    }
  } finally {
    await stack.close();
  }
  const finished = new Date();
  console.log(`\n${table()}\n\n${costTable()}\n${p4Results.length ? `\n${p4Table()}\n` : ''}`);
  if (REPORT !== '-') {
    // Formatted as `npm run lint` (prettier --check) wants it.
    const options = (await resolveConfig(REPORT)) ?? {};
    writeFileSync(REPORT, await format(report(machineLines, started, finished), { ...options, parser: 'markdown' }));
    log(`written ${path.relative(ROOT, REPORT)}`);
  }
}

/** bench/analysis.md (hand-written: what the figures mean, what changed, what a cluster adds) is appended. */
function analysis(): string {
  const file = path.join(ROOT, 'bench', 'analysis.md');
  return existsSync(file) ? `\n${readFileSync(file, 'utf8')}` : '';
}

function report(machineLines: string[], started: Date, finished: Date): string {
  return `# Benchmark results (\`npm run bench\`)

Run ${started.toISOString()} → ${finished.toISOString()} (${Math.round((finished.getTime() - started.getTime()) / 1000)} s).
Every figure is a ratio of two numbers measured side by side in this one run, because the machine is shared and
noisy; the absolute numbers are shown beside it. Knobs: \`${JSON.stringify(K)}\`.

## Machine

${machineLines.join('\n')}

## Figures

${table()}

## P3 history cost

${costTable()}

## P4 inline handler vs ours, email API 200 ms, then 429 for ${K.stormSeconds} s

${p4Results.length ? p4Table() : '(not run)'}

## Notes from this run

${notes.length ? notes.map((n) => `- ${n}`).join('\n') : '- none'}
${analysis()}`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  }
);
