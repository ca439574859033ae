/**
 * Runs the Temporal CLI's dev server (`temporal server start-dev`) as a child process, for `npm start` and the
 * integration tests. We start it ourselves instead of the SDK's default local server because that one downloads the
 * binary and gives up after 5 s (see ARCHITECTURE.md "Temporal server").
 *
 * The server gets its own process group and runs under a small `sh` watchdog. Node holds the write end of the
 * watchdog's stdin pipe, and the kernel closes it when Node exits for any reason, SIGKILL included. The watchdog
 * then stops the server, so a crashed or killed parent never leaves a dev server behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

/** How to start the dev server. */
export interface DevServerOptions {
  /** Absolute path of the Temporal CLI v1.5.1 binary (see {@link findTemporalCli}). */
  cliPath: string;
  /** Bind address of the frontend (and UI). Default 127.0.0.1; keep it on loopback. */
  ip?: string;
  /** Frontend gRPC port. */
  port: number;
  /** Web UI port; default `port + 1000`. Ignored when `headless`. */
  uiPort?: number;
  /** No Web UI (tests). */
  headless: boolean;
  /**
   * The remote codec the Web UI decodes payloads with (`--ui-codec-endpoint`), e.g. `http://127.0.0.1:3000/codec`
   * when CODEC_KEYS is set. Ignored when `headless`.
   */
  uiCodecEndpoint?: string;
  /** SQLite file that keeps state across restarts; its directory is created. Omitted = in-memory. */
  dbFilename?: string;
  /** Namespace to create, wait for and register the search attributes in. Default `default` (always created). */
  namespace?: string;
  /** Custom search attributes as `Name=Type` (Text, Keyword, Int, Double, Bool, Datetime, KeywordList). */
  searchAttributes: readonly string[];
  /** File that receives the server's stdout and stderr (appended). Omitted = kept in memory for error messages. */
  logFile?: string;
  /** How long to wait for readiness before killing the child and throwing. Default 60000. */
  startupTimeoutMs?: number;
}

/** A running dev server. */
export interface DevServer {
  /** `host:port` of the frontend, for `Connection.connect` / `NativeConnection.connect`. */
  readonly address: string;
  /** `http://host:port` of the Web UI, or undefined when headless. */
  readonly uiUrl: string | undefined;
  /** Pid of the server process, which also leads its process group (the watchdog is a member). */
  readonly pid: number;
  /** SIGTERM to the process group, up to 10 s for a clean exit, then SIGKILL. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const LOG_TAIL_BYTES = 4_000;
const MEMORY_LOG_BYTES = 64_000;

/** `temporal.api.enums.v1.IndexedValueType` values, keyed by the CLI's lower-cased type names. */
const INDEXED_VALUE_TYPES: Readonly<Record<string, number>> = {
  text: 1,
  keyword: 2,
  int: 3,
  double: 4,
  bool: 5,
  datetime: 6,
  keywordlist: 7,
};

/**
 * The watchdog. `$@` is the server command line. It keeps a copy of its stdin (Node's pipe) on fd 3, forks a
 * subshell that blocks reading it and, on EOF (Node is gone), sends SIGTERM and, after 10 s, SIGKILL to `$$`,
 * then replaces itself with the server, so `$$` and the spawned child's pid are the server.
 */
const WATCHDOG = `exec 3<&0
(
  cat <&3 >/dev/null 2>&1
  kill -TERM $$ 2>/dev/null || exit 0
  i=0
  while kill -0 $$ 2>/dev/null; do
    [ "$i" -ge 10 ] && { kill -KILL $$ 2>/dev/null; exit 0; }
    sleep 1; i=$((i + 1))
  done
) &
exec "$@" 3<&- </dev/null`;

/** Startup problems that waiting will not fix (e.g. a search attribute registered with another type). */
class FatalStartupError extends Error {
  override readonly name = 'FatalStartupError';
}

/**
 * Finds the Temporal CLI by running `scripts/temporal.sh` (see that script for the lookup order).
 * With `build: false` it never builds and throws an Error carrying the script's how-to message when the CLI is
 * missing. With `build: true` (the default) a missing CLI is built with Go, which takes minutes, and its progress
 * is shown on our stderr.
 */
export function findTemporalCli(opts: { build?: boolean } = {}): string {
  const build = opts.build ?? true;
  // From src/dev/ (tsx, jest) or dist/src/dev/ (compiled).
  const candidates = ['..', '../..', '../../..'].map((up) => path.resolve(__dirname, up, 'scripts', 'temporal.sh'));
  const script = candidates.find((c) => existsSync(c)) ?? candidates[0]!;
  try {
    const out = execFileSync('bash', build ? [script] : [script, '--no-build'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', build ? 'inherit' : 'pipe'],
    });
    const cliPath = out.trim().split('\n').pop() ?? '';
    if (!path.isAbsolute(cliPath)) throw new Error(`scripts/temporal.sh printed no absolute path (got '${out}')`);
    return cliPath;
  } catch (err) {
    const e = err as { status?: number | null; stderr?: string };
    if (e.status == null) throw err;
    const details = (e.stderr ?? '').trim() || '(its messages are above)';
    throw new Error(`Temporal CLI not available: scripts/temporal.sh exited with ${e.status}.\n${details}`);
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it; tiny race with other processes). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the allocated port'))));
    });
  });
}

function typeName(code: number): string {
  return Object.keys(INDEXED_VALUE_TYPES).find((k) => INDEXED_VALUE_TYPES[k] === code) ?? `type ${code}`;
}

/** Throws when something already listens on ip:port, whose answers would otherwise pass for our readiness. */
async function assertPortFree(ip: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot start the Temporal dev server: ${what} port ${ip}:${port} is not free (${err.code})`))
    );
    srv.listen(port, ip, () => srv.close(() => resolve()));
  });
}

/** Parses `Name=Type` entries into name → IndexedValueType; throws on an unknown type. */
function parseSearchAttributes(entries: readonly string[]): Map<string, number> {
  const parsed = new Map<string, number>();
  for (const entry of entries) {
    const [name, type, extra] = entry.split('=');
    const code = INDEXED_VALUE_TYPES[(type ?? '').toLowerCase()];
    if (!name || code === undefined || extra !== undefined) {
      throw new Error(
        `Bad search attribute '${entry}': want Name=Type with Type one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList`
      );
    }
    parsed.set(name, code);
  }
  return parsed;
}

function buildArgs(opts: DevServerOptions, ip: string, uiPort: number, namespace: string): string[] {
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(opts.port)];
  args.push(...(opts.headless ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (!opts.headless && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFilename !== undefined) {
    args.push('--db-filename', opts.dbFilename);
    args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const sa of opts.searchAttributes) args.push('--search-attribute', sa);
  // Offline machines: skip the server's phone-home version check.
  args.push('--dynamic-config-value', 'frontend.enableServerVersionCheck=false');
  args.push('--log-level', 'warn', '--log-format', 'json');
  return args;
}

/** Where the child's output goes, and how to read its tail for error messages. */
interface LogSink {
  stdio: ['pipe', number | 'pipe', number | 'pipe'];
  attach(child: ChildProcess): void;
  tail(): string;
}

function logSink(logFile: string | undefined): LogSink {
  if (logFile !== undefined) {
    mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = openSync(logFile, 'a');
    return {
      stdio: ['pipe', fd, fd],
      attach: () => closeSync(fd), // the child has its own copy now
      tail: () => lastLines(readFileSync(logFile, 'utf8')),
    };
  }
  let buffer = '';
  return {
    stdio: ['pipe', 'pipe', 'pipe'],
    attach: (child) => {
      for (const stream of [child.stdout, child.stderr]) {
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => (buffer = (buffer + chunk).slice(-MEMORY_LOG_BYTES)));
        unref(stream);
      }
    },
    tail: () => lastLines(buffer),
  };
}

/** The last few KB of a log, starting at a line boundary. */
function lastLines(text: string): string {
  if (text.length <= LOG_TAIL_BYTES) return text.trimEnd();
  const tail = text.slice(-LOG_TAIL_BYTES);
  return tail.slice(tail.indexOf('\n') + 1).trimEnd();
}

/** Pipes and child handles must not keep the event loop alive; the 'exit' hook and the watchdog clean up. */
function unref(handle: unknown): void {
  (handle as { unref?: () => void } | null)?.unref?.();
}

/** Sends a signal to a whole process group; a group that is already gone is fine. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/**
 * One readiness probe: connect, describe the namespace and compare the custom search attributes. Attributes
 * missing from an existing SQLite file (it was created with fewer; start-dev only registers them when it creates
 * the namespace) are added; one registered with another type is fatal.
 */
async function probe(address: string, namespace: string, wanted: Map<string, number>): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    await connection.withDeadline(Date.now() + 5_000, () => checkNamespace(connection, namespace, wanted));
  } finally {
    await connection.close();
  }
}

async function checkNamespace(connection: Connection, namespace: string, wanted: Map<string, number>): Promise<void> {
  await connection.workflowService.describeNamespace({ namespace });
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const registered = (customAttributes ?? {}) as Record<string, number | undefined>;
  const missing: Record<string, number> = {};
  for (const [name, type] of wanted) {
    const actual = registered[name];
    if (actual === undefined) missing[name] = type;
    else if (actual !== type) {
      throw new FatalStartupError(
        `search attribute ${name} is registered as ${typeName(actual)} but ${typeName(type)} was requested; ` +
          'delete the dev server database file to start over'
      );
    }
  }
  if (Object.keys(missing).length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    throw new Error(`registered missing search attributes ${Object.keys(missing).join(', ')}; checking again`);
  }
}

/**
 * Starts `temporal server start-dev` and resolves once the namespace answers and every requested search attribute
 * is registered. On an early exit, a fatal mismatch or the timeout, the child is killed and the Error carries the
 * tail of its log. Restarting on an existing `dbFilename` works: start-dev keeps the stored namespace and its
 * attributes, and any requested attributes that the file lacks are added here.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const uiPort = opts.uiPort ?? opts.port + 1000;
  const wanted = parseSearchAttributes(opts.searchAttributes);
  await assertPortFree(ip, opts.port, 'frontend');
  if (!opts.headless) await assertPortFree(ip, uiPort, 'Web UI');
  if (opts.dbFilename !== undefined) mkdirSync(path.dirname(path.resolve(opts.dbFilename)), { recursive: true });
  const sink = logSink(opts.logFile);
  const args = buildArgs(opts, ip, uiPort, namespace);
  const child = spawn('sh', ['-c', WATCHDOG, 'temporal-watchdog', opts.cliPath, ...args], {
    detached: true, // own process group, so stop() can signal the server, the watchdog and nothing else
    stdio: sink.stdio,
  });
  sink.attach(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${opts.cliPath}`);

  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = signal ? `signal ${signal}` : `code ${String(code)}`;
      process.off('exit', onProcessExit);
      signalGroup(pid, 'SIGKILL'); // leftover watchdog; the group id stays ours while it has members
      child.stdin?.destroy();
      resolve();
    });
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // Last resort for a normal exit of Node: ask the server (not the watchdog) to stop; the watchdog sees our end of
  // its pipe close a moment later and escalates to SIGKILL if the server hangs.
  const onProcessExit = (): void => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', onProcessExit);
  unref(child);
  unref(child.stdin);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exitInfo === undefined) {
        signalGroup(pid, 'SIGTERM');
        if (!(await settlesWithin(exited, STOP_GRACE_MS))) {
          signalGroup(pid, 'SIGKILL');
          await settlesWithin(exited, STOP_GRACE_MS);
        }
      }
      process.off('exit', onProcessExit);
    })());

  const address = `${ip.includes(':') ? `[${ip}]` : ip}:${opts.port}`;
  try {
    await waitReady(address, namespace, wanted, opts.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS, () => exitInfo);
  } catch (err) {
    // An exited child may still have output in flight; a running one is stopped after we read its log.
    if (exitInfo !== undefined) await settlesWithin(closed, 1_000);
    const tail = sink.tail();
    await stop();
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Temporal dev server (${opts.cliPath} on ${address}) did not become ready: ${why}\n` +
        `--- last lines of its log${opts.logFile ? ` (${opts.logFile})` : ''} ---\n${tail || '(empty)'}`
    );
  }
  const uiUrl = opts.headless ? undefined : `http://${ip.includes(':') ? `[${ip}]` : ip}:${uiPort}`;
  return { address, uiUrl, pid, stop };
}

async function waitReady(
  address: string,
  namespace: string,
  wanted: Map<string, number>,
  timeoutMs: number,
  exitInfo: () => string | undefined
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt finished';
  for (;;) {
    const info = exitInfo();
    if (info !== undefined) throw new Error(`it exited (${info})`);
    try {
      await probe(address, namespace, wanted);
      const after = exitInfo();
      if (after !== undefined) throw new FatalStartupError(`it exited (${after})`);
      return;
    } catch (err) {
      if (err instanceof FatalStartupError) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms; last error: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** True when `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
