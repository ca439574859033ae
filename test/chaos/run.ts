/**
 * `npm run chaos`: the outside probe of issue 12, as part of the project. Not part of `npm test`.
 *
 * Stands up its own stack on 127.0.0.1 (stack.ts: Temporal dev server, a fresh Postgres database behind a proxy
 * it controls, Redis, simulators, API and worker as separate processes), runs the scenarios one after another,
 * prints each one's figures and a table, writes docs/reliability.md, and tears everything down. Exit code 1 when
 * any lost / doubled / 5xx / mismatch figure is not 0, 2 when the run itself broke.
 *
 * Knobs (environment): CHAOS_SEED, CHAOS_CONCURRENCY (16), CHAOS_ISSUES (200), CHAOS_JIRA_DELIVERIES (5000),
 * CHAOS_KILL_DELIVERIES (300), CHAOS_KILL_EVERY_MS (4000), CHAOS_TEMPORAL_DELIVERIES (300),
 * CHAOS_PG_DELIVERIES (300), CHAOS_PG_REFUSAL_MS (10000), CHAOS_STORM_DELIVERIES (300), CHAOS_STORM_429S (200),
 * CHAOS_FUZZ_RUNS (2000 per route), CHAOS_FAULT_RATE (15 deliveries/s in the fault scenarios), CHAOS_SETTLE_MS (600000: the most a scenario waits for its deliveries to finish; it stops earlier after 90 s without progress), CHAOS_ONLY (comma list of scenario ids:
 * burst,kill,temporal,pg,storm,fuzz), CHAOS_REPORT (path of the report; default docs/reliability.md, "-" = none),
 * CHAOS_REDIS_URL (default redis://127.0.0.1:6379/13), CHAOS_MAX_MINUTES (15: a watchdog reports what finished and ends the run), CHAOS_TEMPORAL_SQLITE_PRAGMAS
 * (synchronous=OFF).
 */
import path from 'node:path';
import { seedJiraWorld } from './jira-load';
import { fuzzRoutes } from './fuzz';
import { ROOT } from './processes';
import { writeReport, printTable } from './report';
import { createRng } from './rng';
import type { Knobs, Row } from './scenarios';
import { burst, jira429Storms, postgresRefusal, temporalRestart, workerKills } from './scenarios';
import type { ChaosStack } from './stack';
import { startChaosStack } from './stack';

function int(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got '${v}')`);
  return Math.floor(n);
}

const log = (m: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

async function main(): Promise<number> {
  const knobs: Knobs = {
    seed: int('CHAOS_SEED', Math.floor(Math.random() * 2 ** 31)),
    concurrency: Math.max(1, int('CHAOS_CONCURRENCY', 16)),
    issues: Math.max(10, int('CHAOS_ISSUES', 200)),
    jiraDeliveries: int('CHAOS_JIRA_DELIVERIES', 5_000),
    killDeliveries: int('CHAOS_KILL_DELIVERIES', 300),
    killEveryMs: Math.max(500, int('CHAOS_KILL_EVERY_MS', 4_000)),
    temporalDeliveries: int('CHAOS_TEMPORAL_DELIVERIES', 300),
    pgDeliveries: int('CHAOS_PG_DELIVERIES', 300),
    pgRefusalMs: int('CHAOS_PG_REFUSAL_MS', 10_000),
    stormDeliveries: int('CHAOS_STORM_DELIVERIES', 300),
    storm429s: int('CHAOS_STORM_429S', 200),
    fuzzRuns: int('CHAOS_FUZZ_RUNS', 2_000),
    faultRate: Math.max(1, int('CHAOS_FAULT_RATE', 15)),
    settleMs: int('CHAOS_SETTLE_MS', 600_000),
  };
  const only = new Set((process.env.CHAOS_ONLY ?? 'burst,kill,temporal,pg,storm,fuzz').split(',').map((s) => s.trim()));
  const reportPath = process.env.CHAOS_REPORT ?? path.join(ROOT, 'docs', 'reliability.md');
  const maxMinutes = int('CHAOS_MAX_MINUTES', 15);
  log(`seed ${knobs.seed}; knobs ${JSON.stringify(knobs)}; scenarios ${[...only].join(',')}`);

  const started = new Date();
  const stack: ChaosStack = await startChaosStack(log);
  const rows: Row[] = [];
  let finished = false;
  /** Prints the table, writes the report and stops the stack, once (also from the watchdog). */
  const finish = async (note: string) => {
    if (finished) return;
    finished = true;
    printTable(rows);
    if (reportPath !== '-') {
      await writeReport(reportPath, { rows, knobs, started, finished: new Date(), stack, only: [...only], note }).then(
        () => log(`report written to ${path.relative(ROOT, reportPath)}`),
        (e: unknown) => log(`could not write the report: ${String(e)}`)
      );
    }
    await stack.close();
  };
  const watchdog = setTimeout(() => {
    log(`the run passed CHAOS_MAX_MINUTES=${maxMinutes}: reporting what finished and stopping everything`);
    void finish(
      `Stopped by the CHAOS_MAX_MINUTES=${maxMinutes} watchdog: scenarios not listed did not finish.`
    ).finally(() => process.exit(2));
  }, maxMinutes * 60_000);
  watchdog.unref();
  process.once('SIGINT', () => void finish('Interrupted (SIGINT).').finally(() => process.exit(130)));
  try {
    const rng = createRng(knobs.seed);
    const w = await seedJiraWorld(stack);
    const run = async (id: string, f: () => Promise<Row | Row[]>) => {
      if (!only.has(id)) return;
      log(`scenario ${id} …`);
      const out = await f();
      for (const row of Array.isArray(out) ? out : [out]) {
        rows.push(row);
        log(
          `${row.name}: sent ${row.sent} (unique ${row.unique}, duplicates ${row.duplicates}, reordered ${row.reordered}) ` +
            `→ lost ${row.lost}, doubled ${row.doubled}, 5xx ${row.fiveXx}, mismatches ${row.mismatches} in ${row.seconds} s`
        );
        log(`  ${row.notes}`);
        for (const p of row.problems) log(`  ! ${p}`);
      }
    };
    await run('burst', () => burst(stack, w, rng, knobs));
    await run('kill', () => workerKills(stack, w, rng, knobs));
    await run('temporal', () => temporalRestart(stack, w, rng, knobs));
    await run('pg', () => postgresRefusal(stack, w, rng, knobs));
    await run('storm', () => jira429Storms(stack, w, rng, knobs));
    await run('fuzz', () => fuzzRoutes(stack, w, knobs));
    log(
      `worker: ${stack.worker.starts} starts, ${stack.worker.kills} SIGKILLs, ${stack.worker.unexpectedExits} exits on its own`
    );
  } catch (err) {
    await finish(`The run broke: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
  clearTimeout(watchdog);
  await finish('');
  const bad = rows.some((r) => r.lost || r.doubled || r.fiveXx || r.mismatches);
  log(
    bad ? 'NOT all figures are 0: see the lines marked "!" above' : 'all lost / doubled / 5xx / mismatch figures are 0'
  );
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  }
);
