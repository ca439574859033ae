/**
 * The dev-server launcher against the real Temporal CLI v1.5.1: readiness includes our search attributes, stop()
 * closes the port, a SQLite file survives a restart, and a SIGKILLed parent leaves no server behind.
 * A missing CLI fails this suite with the how-to message from scripts/temporal.sh; it never skips.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTemporalCli, freePort, startDevServer } from '../../src/dev/temporal-dev-server';
import type { DevServer } from '../../src/dev/temporal-dev-server';

const SEARCH_ATTRIBUTES = [
  'Provider=Keyword',
  'IntegrationId=Keyword',
  'ExternalIssueKey=Keyword',
  'GroupIds=KeywordList',
  'Outcome=Keyword',
] as const;
/** `temporal.api.enums.v1.IndexedValueType`: KEYWORD = 2, KEYWORD_LIST = 7. */
const EXPECTED_TYPES = { Provider: 2, IntegrationId: 2, ExternalIssueKey: 2, GroupIds: 7, Outcome: 2 };

let cliPath: string;
let tmp: string;
const started: DevServer[] = [];

beforeAll(() => {
  cliPath = findTemporalCli({ build: false }); // throws "… bash scripts/temporal.sh builds it …" when absent
  tmp = mkdtempSync(path.join(os.tmpdir(), 'issue-sync-devserver-'));
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  rmSync(tmp, { recursive: true, force: true });
});

async function start(opts: { dbFilename?: string; searchAttributes?: readonly string[] } = {}): Promise<DevServer> {
  const port = await freePort();
  const server = await startDevServer({
    cliPath,
    port,
    headless: true,
    searchAttributes: opts.searchAttributes ?? SEARCH_ATTRIBUTES,
    dbFilename: opts.dbFilename,
  });
  started.push(server);
  return server;
}

async function customSearchAttributes(address: string): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    return { ...res.customAttributes };
  } finally {
    await connection.close();
  }
}

/** True when something accepts TCP connections on host:port. */
function isListening(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True for a live process; a zombie (dead, not yet reaped by its new parent) counts as dead. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** True when no process is left in the process group. */
function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch {
    return true;
  }
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('starts an in-memory headless server with our search attributes and stops it', async () => {
  const server = await start();
  expect(server.uiUrl).toBeUndefined();
  expect(await customSearchAttributes(server.address)).toMatchObject(EXPECTED_TYPES);

  await server.stop();
  expect(await isListening(server.address)).toBe(false);
  expect(isAlive(server.pid)).toBe(false);
  await waitFor('the watchdog to be gone', () => groupGone(server.pid), 5_000);
});

test('restarts on an existing SQLite file whose search attributes are already registered', async () => {
  const dbFilename = path.join(tmp, 'restart', 'temporal.sqlite'); // parent directory does not exist yet
  const first = await start({ dbFilename });
  await first.stop();
  const second = await start({ dbFilename });
  expect(await customSearchAttributes(second.address)).toMatchObject(EXPECTED_TYPES);
  await second.stop();
});

test('adds search attributes that an existing SQLite file lacks', async () => {
  // start-dev registers search attributes only when it creates the namespace, i.e. with a new file.
  const dbFilename = path.join(tmp, 'grow', 'temporal.sqlite');
  const first = await start({ dbFilename, searchAttributes: ['Provider=Keyword'] });
  await first.stop();
  const second = await start({ dbFilename });
  expect(await customSearchAttributes(second.address)).toMatchObject(EXPECTED_TYPES);
  await second.stop();
});

test('a SIGKILLed parent leaves no dev server behind', async () => {
  const port = await freePort();
  const modulePath = path.resolve(__dirname, '../../src/dev/temporal-dev-server.ts');
  const script = `
    const { startDevServer } = require(${JSON.stringify(modulePath)});
    startDevServer({ cliPath: process.argv[1], port: Number(process.argv[2]), headless: true, searchAttributes: [] })
      .then((s) => { console.log(JSON.stringify({ pid: s.pid })); setInterval(() => {}, 60_000); })
      .catch((e) => { console.error(e); process.exit(1); });`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '-e', script, cliPath, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  parent.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  parent.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const parentExited = new Promise((resolve) => parent.once('exit', resolve));
  try {
    await waitFor(`the child to report its server (stderr: ${stderr})`, () => stdout.includes('\n'), 60_000);
    const { pid } = JSON.parse(stdout) as { pid: number };
    const address = `127.0.0.1:${port}`;
    expect(await isListening(address)).toBe(true);
    expect(isAlive(pid)).toBe(true);

    parent.kill('SIGKILL');
    await parentExited;
    await waitFor('the orphaned dev server to exit', () => !isAlive(pid), 5_000);
    // A Go process's leader can read as a zombie a moment before its sockets close: wait for the port too.
    await waitFor('its port to close', async () => !(await isListening(address)), 5_000);
    await waitFor('its watchdog to exit', () => groupGone(pid), 5_000);
  } finally {
    parent.kill('SIGKILL'); // no-op once it is dead
  }
});
