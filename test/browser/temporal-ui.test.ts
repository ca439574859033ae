/**
 * The Temporal Web UI, checked in a real browser (Debian's chromium driven by playwright-core) against a running
 * stack, e.g. `npm run demo` in another terminal:
 *
 *   npm run test:browser
 *
 * It opens the workflow list filtered by the search attribute Provider="jira", opens a jiraIssueUpdated run from
 * it, checks that the activity summaries and the result are on the page (the result as Temporal itself reports
 * it), and saves the page as docs/temporal-ui.png (shown in the README).
 *
 * Environment: TEMPORAL_UI_URL [http://127.0.0.1:8233], TEMPORAL_ADDRESS [127.0.0.1:7233], TEMPORAL_NAMESPACE
 * [default], CHROMIUM_PATH [/usr/bin/chromium], SCREENSHOT [docs/temporal-ui.png]. A missing chromium or a stack
 * that does not answer fails the test with a message saying what to do; nothing is skipped.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '..', '..');
const UI = (process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233').replace(/\/+$/, '');
const ADDRESS = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve(ROOT, process.env.SCREENSHOT ?? 'docs/temporal-ui.png');
const QUERY = 'Provider="jira"';
const WAIT_MS = 30_000;

/** The flags this machine's closed network needs (no background fetches, no QUIC, no first-run). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let profile: string;
let context: BrowserContext;
let page: Page;
let connection: Connection | undefined;
/** The workflow id the first test opened. */
let latest: string | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Install Debian's package (\`apt-get update && apt-get install -y ` +
        'chromium`; .ci/run does this) or set CHROMIUM_PATH. Do not use `npx playwright install`.'
    );
  }
  try {
    const res = await fetch(UI, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
  } catch (err) {
    throw new Error(
      `The Temporal UI does not answer at ${UI} (${(err as Error).message}). Start the stack first, e.g. ` +
        '`npm run demo` in another terminal, or set TEMPORAL_UI_URL.'
    );
  }
  profile = mkdtempSync(path.join(tmpdir(), 'issue-sync-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  context.setDefaultTimeout(WAIT_MS);
  page = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  await context?.close();
  await connection?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

void test('the workflow list filtered by Provider="jira" leads to a jiraIssueUpdated run with its activity summaries and result', async () => {
  // 1. The list, filtered by the search attribute.
  await page.goto(`${UI}/namespaces/${NAMESPACE}/workflows?query=${encodeURIComponent(QUERY)}`);
  const runLinks = page.locator(`a[href*="/namespaces/${NAMESPACE}/workflows/"][href$="/history"]`, {
    hasText: 'jiraIssueUpdated',
  });
  try {
    await runLinks.first().waitFor();
  } catch {
    throw new Error(
      `No jiraIssueUpdated run in the list for ${QUERY} at ${page.url()}: send a Jira webhook first ` +
        '(`npm run demo` plays some).'
    );
  }
  const href = await runLinks.first().getAttribute('href');
  assert.ok(href, 'the run link has an href');
  const [, workflowId, runId] = /\/workflows\/([^/]+)\/([^/]+)\/history$/.exec(href) ?? [];
  assert.ok(workflowId && runId, `a run link ${href}`);

  // 2. The run page.
  await runLinks.first().click();
  await page.waitForURL(/\/history/);
  await page.getByText('jiraIssueUpdated', { exact: true }).first().waitFor();
  assert.equal((await page.getByText(decodeURIComponent(workflowId), { exact: true }).count()) > 0, true);

  // Step summaries: every run marks its delivery running and finishes it. Those are local activities (database
  // steps; see src/workflows/proxies.ts): the event table lists each as "Local Activity" with its activity type
  // and its summary. The email lookup is a regular activity: the timeline labels it "<type> • <summary>".
  // (The event-type filter menu also holds a hidden "Local Activity" item: only a visible one counts.)
  await page.getByText('Local Activity', { exact: true }).filter({ visible: true }).first().waitFor();
  for (const text of [
    'trackerMarkDeliveryRunning',
    /^Delivery \d+ is running$/,
    'trackerFinishDelivery',
    /^Mark delivery \d+ \w+$/,
  ]) {
    await page
      .getByText(text, { exact: typeof text === 'string' })
      .first()
      .waitFor();
  }

  // The result, as Temporal reports it, is what the Result panel shows.
  connection = await Connection.connect({ address: ADDRESS, connectTimeout: '5s' });
  const client = new Client({ connection, namespace: NAMESPACE });
  const result = (await client.workflow
    .getHandle(decodeURIComponent(workflowId), decodeURIComponent(runId))
    .result()) as { outcome: string };
  const resultPanel = page
    .locator('section, div')
    .filter({ has: page.getByRole('heading', { name: 'Result' }) })
    .last();
  await resultPanel.getByText(`"outcome"`).first().waitFor();
  const panelText = await resultPanel.innerText();
  assert.match(panelText, new RegExp(`"outcome":\\s*"${result.outcome}"`), `Result panel:\n${panelText}`);

  await page.screenshot({ path: SCREENSHOT });
  latest = decodeURIComponent(workflowId);
  process.stdout.write(
    `saved ${path.relative(ROOT, SCREENSHOT)} (run ${decodeURIComponent(workflowId)}: ${result.outcome})\n`
  );
});

void test('the links npm run demo prints (/workflows/<id>, no run id) open that workflow', async () => {
  assert.ok(latest, 'the first test found a run');
  await page.goto(`${UI}/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(latest)}`);
  await page.getByText('jiraIssueUpdated', { exact: true }).first().waitFor();
  await page
    .getByText(/^Mark delivery \d+ \w+$/)
    .first()
    .waitFor();
  assert.ok((await page.getByText(latest, { exact: true }).count()) > 0, `${latest} is on ${page.url()}`);
});
