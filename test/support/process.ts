import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { formatCommand, mergeEnv } from './run.ts';

type SyncCleanup = () => void;

/**
 * Process-wide by necessity: the safety net must see every daemon any test started, whichever
 * file started it, and `process.on('exit')` only allows synchronous work.
 */
const exitCleanups = new Set<SyncCleanup>();
let exitHooksInstalled = false;

function runExitCleanups(): void {
  // Last registered first, like `defer`: a daemon dies before the directory it lives in goes.
  for (const cleanup of [...exitCleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // Best effort: one failing cleanup must not keep the others from running.
    }
  }
  exitCleanups.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', runExitCleanups);
  const signals: Array<[NodeJS.Signals, number]> = [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]];
  for (const [signal, number] of signals) {
    process.once(signal, () => {
      runExitCleanups();
      process.exit(128 + number);
    });
  }
}

/**
 * Registers a synchronous cleanup that runs when this process exits (normally, or on SIGINT,
 * SIGTERM or SIGHUP), so no server outlives a crashed or interrupted test run. Returns a
 * function that unregisters it once the resource was released normally.
 */
export function onProcessExit(cleanup: SyncCleanup): () => void {
  installExitHooks();
  exitCleanups.add(cleanup);
  return () => {
    exitCleanups.delete(cleanup);
  };
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface DaemonOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** stdout and stderr are appended here. */
  readonly logPath: string;
}

/** A long-running child process whose output goes to a log file. */
export interface Daemon {
  readonly pid: number;
  readonly command: string;
  readonly logPath: string;
  /** Settles when the process has exited. */
  readonly exited: Promise<ExitStatus>;
  isRunning(): boolean;
  /** Sends `signal` (default SIGTERM), waits up to `timeoutMs` (default 10 s), then SIGKILLs. */
  stop(options?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<ExitStatus>;
  /** The last `lines` lines of the log. */
  logTail(lines?: number): Promise<string>;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole process group, so helpers the daemon started go too.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Reads the last `lines` lines of a text file ('' if it does not exist). */
export async function tailFile(path: string, lines = 60): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

/** Starts a daemon in its own process group; it is SIGKILLed if this process exits first. */
export function startDaemon(cmd: string, args: readonly string[], options: DaemonOptions): Promise<Daemon> {
  const command = formatCommand(cmd, args);
  const fd = openSync(options.logPath, 'a');
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: mergeEnv(options.env),
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  let running = true;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${command}: ${err.message}`, { cause: err })));
    child.once('spawn', () => {
      const pid = child.pid ?? 0;
      const unregister = onProcessExit(() => signalGroup(pid, 'SIGKILL'));
      void exited.then(unregister);
      // The exit hook owns the last-resort cleanup; do not let a forgotten daemon keep tests alive.
      child.unref();
      resolve({
        pid,
        command,
        logPath: options.logPath,
        exited,
        isRunning: () => running,
        async stop({ signal = 'SIGTERM', timeoutMs = 10_000 } = {}) {
          if (!running) return exited;
          signalGroup(pid, signal);
          const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), timeoutMs);
          const status = await exited;
          clearTimeout(timer);
          return status;
        },
        logTail: (lines) => tailFile(options.logPath, lines),
      });
    });
  });
}
