/**
 * The real processes of a chaos run: the API and the worker as child processes (the `start:api` /
 * `start:worker` entries, run as `node --import tsx <entry>` so a signal reaches the service itself and not an
 * npm wrapper), each with its output appended to a log file, and a supervisor that restarts the worker when it
 * dies (SIGKILLed by a scenario, or gone on its own, e.g. while Temporal restarts) and counts why.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | string | null>;
}

/** Starts `src/<entry>` under tsx with `env`, output appended to `logFile`. */
export function spawnEntry(entry: string, env: NodeJS.ProcessEnv, logFile: string): Child {
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | string | null>((resolve) =>
    proc.once('exit', (code, signal) => resolve(signal ?? code))
  );
  return { proc, exited };
}

/** SIGKILL (or `signal`) and wait for the exit. A no-op on a process that is gone. */
export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGKILL', graceMs = 15_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill(signal);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Polls `url` until it answers 200, at most `ms`. */
export async function waitHttpOk(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.text();
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer 200 within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Keeps one worker process alive; `kill()` SIGKILLs the current one and starts the next. */
export class WorkerSupervisor {
  private child: Child | undefined;
  private stopping = false;
  /** SIGKILLs sent by scenarios. */
  kills = 0;
  /** Exits nobody asked for (e.g. the worker gave up while Temporal was down); each is restarted. */
  unexpectedExits = 0;
  starts = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string
  ) {}

  start(): void {
    const child = spawnEntry('src/worker.ts', this.env, this.logFile);
    this.child = child;
    this.starts += 1;
    void child.exited.then(() => {
      if (this.child !== child || this.stopping) return;
      this.unexpectedExits += 1;
      setTimeout(() => {
        if (this.child === child && !this.stopping) this.start();
      }, 500);
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) {
      this.kills += 1;
      await stopChild(child, 'SIGKILL');
    }
    if (!this.stopping) this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child) await stopChild(this.child, 'SIGTERM');
  }
}
