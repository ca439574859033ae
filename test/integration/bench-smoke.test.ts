/**
 * Issue 10: `npm run bench` starts and measures one tiny round (BENCH_SCALE=smoke: P1 for 1 s per route, P2 with
 * 4 webhooks and its floor, P3 from live and recorded histories; no report file). Figures are not checked: this
 * is not a timed test, only that the bench still runs against the current code. It uses the test run's Temporal
 * dev server (TEMPORAL_ADDRESS from globalSetup) and creates and drops its own database.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');

it('When the bench runs one tiny round, Then it prints P1, P2 and P3 figures and exits 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts')], {
    cwd: ROOT,
    env: { ...process.env, BENCH_SCALE: 'smoke', BENCH_REPORT: '-', BENCH_VARIANTS: 'sync' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  expect({ code, tail: code === 0 ? '' : out.slice(-3000) }).toEqual({ code: 0, tail: '' });
  expect(out).toMatch(/\| P1 accepted\/s at saturation .* \| JIRA_INTAKE=sync \| [\d.]+\/s \| [\d.]+\/s \|/);
  expect(out).toMatch(/\| P2 completed\/s \(webhook → applied\) .*\| [\d.]+\/s \| [\d.]+\/s \|/);
  expect(out).toMatch(/\| assignee webhook \| \d+ \| \d+ \|/);
});
