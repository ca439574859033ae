/**
 * The Jira scenarios of the chaos run. Each sends a planned burst (duplicates and reordering included) through
 * the real API while one fault runs beside it, waits for the deliveries to finish, and checks the outcome.
 */
import type { Answer, Checked, JiraEvent, JiraWorld, Plan } from './jira-load';
import { Tally, checkPlan, createIssues, deliverJira, payloadOf, planEvents, pool, sleep } from './jira-load';
import type { Rng } from './rng';
import type { ChaosStack } from './stack';

/** One line of the summary table. */
export interface Row {
  name: string;
  sent: number;
  unique: number;
  duplicates: number;
  reordered: number;
  lost: number;
  doubled: number;
  fiveXx: number;
  mismatches: number;
  seconds: number;
  /** Figures particular to the scenario (kills, 503s during the fault, 429s served, ...). */
  notes: string;
  /** Lines that explain a non-zero figure. */
  problems: string[];
}

export interface Knobs {
  seed: number;
  concurrency: number;
  issues: number;
  jiraDeliveries: number;
  killDeliveries: number;
  killEveryMs: number;
  temporalDeliveries: number;
  pgDeliveries: number;
  pgRefusalMs: number;
  stormDeliveries: number;
  storm429s: number;
  fuzzRuns: number;
  /** Deliveries per second in the fault scenarios. */
  faultRate: number;
  settleMs: number;
}

type Fault = (ctx: { sent: () => number; total: number; done: () => boolean; tally: Tally }) => Promise<string>;

async function jiraScenario(
  stack: ChaosStack,
  w: JiraWorld,
  rng: Rng,
  k: Knobs,
  o: {
    name: string;
    tag: string;
    total: number;
    issues: number;
    withEmail: boolean;
    /** Each event's assignee gets its own Jira account (known to the simulator only), so every one is looked up. */
    freshAccounts?: boolean;
    fault?: Fault;
    /** Sends at most this many deliveries per second, so the burst lasts while the fault runs. */
    rate?: number;
  }
): Promise<Row> {
  const t0 = Date.now();
  const issues = await createIssues(stack.db, w, o.tag.toUpperCase(), o.issues);
  const plan: Plan = planEvents(rng, {
    tag: o.tag,
    issues,
    users: w.users.length,
    total: o.total,
    dupRate: 0.3,
    reorderRate: 0.2,
  });
  const accountOf = o.freshAccounts ? (ev: JiraEvent) => `${o.tag}-${ev.identifier.slice(-12)}` : undefined;
  if (accountOf)
    for (const ev of plan.events) {
      const u = ev.user === null ? null : w.users[ev.user]!;
      if (u && ev.changesAssignee)
        stack.jira.addUser({ accountId: accountOf(ev), displayName: u.name, email: u.email, emailVisible: false });
    }
  const tally = new Tally();
  const answers = new Map<string, Array<Answer | null>>();
  let sent = 0;
  let sending = true;
  const faultRun = o.fault
    ? o.fault({ sent: () => sent, total: plan.order.length, done: () => !sending, tally })
    : Promise.resolve('');
  const sendStart = Date.now();
  await pool(plan.order, k.concurrency, async (idx, i) => {
    if (o.rate) await sleep(sendStart + (i * 1000) / o.rate - Date.now());
    const ev = plan.events[idx]!;
    const answer = await deliverJira(stack.api, payloadOf(ev, w, o.withEmail, accountOf), ev.identifier, tally);
    answers.set(ev.identifier, [...(answers.get(ev.identifier) ?? []), answer]);
    sent += 1;
  });
  sending = false;
  const sendSeconds = (Date.now() - t0) / 1000;
  const faultNote = await faultRun;
  const checked: Checked = await checkPlan(stack, w, plan, answers, k.settleMs);
  const problems = [
    ...tally.examples.map((e) => `5xx: ${e}`),
    ...checked.lostExamples.map((e) => `lost: ${e}`),
    ...checked.mismatchExamples.map((e) => `mismatch: ${e}`),
  ];
  if (checked.doubled > 0)
    problems.push(
      `doubled: ${checked.doubled} (${checked.extraRuns} extra workflow runs; the rest extra delivery rows or activities)`
    );
  const row: Row = {
    name: o.name,
    sent: plan.order.length,
    unique: plan.events.length,
    duplicates: plan.duplicates,
    reordered: plan.reordered,
    lost: checked.lost,
    doubled: checked.doubled,
    fiveXx: tally.unexpected5xx,
    mismatches: checked.mismatches,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    notes: [
      faultNote,
      `answers ${tally.statuses()}`,
      tally.networkErrors ? `${tally.networkErrors} network errors (retried)` : '',
      `${checked.applied} applied, ${checked.skipped} skipped, ${checked.failed} failed`,
      `${checked.multi202} keys answered 202 twice (a copy redrove a start racing the original's); runs counted in Temporal for ${checked.runsCounted} workflow ids: ${checked.extraRuns} extra`,
      `sent in ${sendSeconds.toFixed(1)} s, settled in ${(checked.settleMs / 1000).toFixed(1)} s`,
      checked.skipReasons ? `skips: ${checked.skipReasons}` : '',
    ]
      .filter(Boolean)
      .join('; '),
    problems,
  };
  return row;
}

export function burst(stack: ChaosStack, w: JiraWorld, rng: Rng, k: Knobs): Promise<Row> {
  return jiraScenario(stack, w, rng, k, {
    name: 'jira burst: duplicates + reordering',
    tag: 'burst',
    total: k.jiraDeliveries,
    issues: k.issues,
    withEmail: true,
  });
}

export function workerKills(stack: ChaosStack, w: JiraWorld, rng: Rng, k: Knobs): Promise<Row> {
  return jiraScenario(stack, w, rng, k, {
    name: 'worker SIGKILLed during a burst',
    tag: 'kill',
    rate: k.faultRate,
    total: k.killDeliveries,
    issues: Math.max(10, Math.round(k.issues / 4)),
    withEmail: true,
    async fault({ done }) {
      const startKills = stack.worker.kills;
      const maxKills = 60;
      // Kill while the burst is sent, and for a few more rounds while its workflows run.
      let after = 3;
      while (stack.worker.kills - startKills < maxKills && (!done() || after-- > 0)) {
        await sleep(k.killEveryMs * (0.5 + rng.next()));
        await stack.worker.kill();
      }
      return `${stack.worker.kills - startKills} SIGKILLs every ~${k.killEveryMs / 1000} s`;
    },
  });
}

export function temporalRestart(stack: ChaosStack, w: JiraWorld, rng: Rng, k: Knobs): Promise<Row> {
  return jiraScenario(stack, w, rng, k, {
    name: 'Temporal dev server restarted during a burst',
    tag: 'temporal',
    rate: k.faultRate,
    total: k.temporalDeliveries,
    issues: Math.max(10, Math.round(k.issues / 4)),
    withEmail: true,
    async fault({ sent, total, tally }) {
      while (sent() < total / 3) await sleep(100);
      tally.faultStart();
      const { downMs } = await stack.restartTemporal();
      tally.faultEnd(15_000);
      return `Temporal down ${(downMs / 1000).toFixed(1)} s; ${tally.expected503} 503s during it (retried)`;
    },
  });
}

export function postgresRefusal(stack: ChaosStack, w: JiraWorld, rng: Rng, k: Knobs): Promise<Row> {
  return jiraScenario(stack, w, rng, k, {
    name: `Postgres refusing for ${k.pgRefusalMs / 1000} s during a burst`,
    tag: 'pg',
    rate: k.faultRate,
    total: k.pgDeliveries,
    issues: Math.max(10, Math.round(k.issues / 4)),
    withEmail: true,
    async fault({ sent, total, tally }) {
      while (sent() < total / 3) await sleep(100);
      const cutBefore = stack.proxy.stats.cut;
      tally.faultStart();
      await stack.proxy.refuse(k.pgRefusalMs);
      tally.faultEnd(15_000);
      return `${stack.proxy.stats.cut - cutBefore} connections cut; ${tally.expected503} 503s during the refusal (retried)`;
    },
  });
}

export async function jira429Storms(stack: ChaosStack, w: JiraWorld, rng: Rng, k: Knobs): Promise<Row> {
  const emailCalls = () => stack.jira.callsTo('GET', '/rest/api/3/user/email');
  const before = emailCalls().length;
  const row = await jiraScenario(stack, w, rng, k, {
    name: 'Jira 429 storms on the email lookup',
    tag: 'storm',
    rate: k.faultRate,
    total: k.stormDeliveries,
    issues: Math.max(10, Math.round(k.issues / 4)),
    withEmail: false,
    freshAccounts: true,
    async fault({ sent, total }) {
      const storm = () =>
        stack.jira.failNext({ method: 'GET', pathPrefix: '/rest/api/3/user/email' }, Math.ceil(k.storm429s / 2), {
          status: 429,
          headers: { 'retry-after': '1' },
          body: { errorMessages: ['Rate limit exceeded'] },
        });
      storm();
      while (sent() < total / 2) await sleep(100);
      storm();
      return 'two storms of 429 with Retry-After: 1';
    },
  });
  // After the settle: how many 429s were served, and whether any retry came before Retry-After allowed it.
  const calls = emailCalls().slice(before);
  const byAccount = new Map<string, typeof calls>();
  for (const c of calls) byAccount.set(c.query.accountId ?? '', [...(byAccount.get(c.query.accountId ?? '') ?? []), c]);
  let early = 0;
  for (const list of byAccount.values())
    for (let i = 0; i + 1 < list.length; i++)
      if (list[i]!.status === 429 && list[i + 1]!.time - list[i]!.time < 950) {
        early += 1;
        if (row.problems.length < 8)
          row.problems.push(
            `lookup for ${list[i]!.query.accountId} retried ${list[i + 1]!.time - list[i]!.time} ms after a 429 with Retry-After: 1`
          );
      }
  const served429 = calls.filter((c) => c.status === 429).length;
  const ok = calls.filter((c) => c.status === 200).length;
  row.notes = `${served429} × 429 served of ${calls.length} email lookups (${ok} answered 200, ${byAccount.size} accounts), ${early} retries sooner than Retry-After; ${row.notes}`;
  if (early > 0) row.problems.push(`${early} email lookups retried sooner than the 1 s Retry-After`);
  return row;
}
