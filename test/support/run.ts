import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly cwd?: string;
  /** Extra variables merged over `process.env` (a value of `undefined` removes the variable). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Data written to stdin; stdin is closed either way so nothing can wait for a terminal. */
  readonly input?: string;
  /** Hard limit; the process gets SIGTERM, then SIGKILL 5 s later. Default 60 s. */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** A command that exited non-zero, died on a signal or ran out of time; the message holds its output. */
class RunError extends Error {
  readonly result: RunResult;

  constructor(result: RunResult) {
    const how = result.timedOut
      ? 'timed out'
      : result.signal !== null
        ? `was killed by ${result.signal}`
        : `exited with code ${String(result.code)}`;
    super(`${result.command} ${how}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
    this.name = 'RunError';
    this.result = result;
  }
}

/** `process.env` with `extra` applied on top. */
export function mergeEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** Renders a command line for messages. */
export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(quote).join(' ');
}

/** Runs a command to completion and returns its output; throws {@link RunError} unless it exits 0. */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await runUnchecked(cmd, args, options);
  if (result.code !== 0) throw new RunError(result);
  return result;
}

/** Like {@link run} but returns the result whatever the exit status (timeouts still count as results). */
export function runUnchecked(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const command = formatCommand(cmd, args);
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: mergeEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.once('error', (err) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(new Error(`cannot run ${command}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({
        command,
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
  });
}
