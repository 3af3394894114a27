/**
 * Runs a deploy hook or a reload command: no shell (arguments are passed as they are, so a name
 * never becomes shell syntax), a deadline, and on failure the last lines of its stderr, which is
 * what an operator needs to see. Certainty's own environment is not passed on: it may hold the
 * KEK passphrase or database credentials.
 */
import { spawn } from 'node:child_process';
import { AppError } from '../../errors.ts';

const TAIL_BYTES = 4096;
const TAIL_LINES = 5;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The variables every command starts with: a PATH and a locale, nothing secret. */
export function baseEnv(): Record<string, string> {
  return { PATH: process.env['PATH'] ?? DEFAULT_PATH, LANG: 'C.UTF-8' };
}

/** Runs `command args` and resolves when it exits 0; otherwise a `deployFailed` AppError saying why. */
export function runCommand(command: string, args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], shell: false });
    let stderr = Buffer.alloc(0);
    let timedOut = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > 2 * TAIL_BYTES) stderr = stderr.subarray(stderr.length - TAIL_BYTES);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const fix = err.code === 'ENOENT' ? 'no such program: check the path' : err.code === 'EACCES' ? 'it is not executable by the user Certainty runs as' : err.message;
      reject(new AppError('deployFailed', `${what}: cannot run ${command}: ${fix}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = timedOut ? `did not finish within ${timeoutMs} ms and was killed` : signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
      const tail = lastLines(stderr.toString('utf8'));
      reject(new AppError('deployFailed', `${what}: ${command} ${why}${tail === '' ? ' (no output on stderr)' : `; its stderr ends with: ${tail}`}`));
    });
  });
}

/** The last few non-empty lines, joined with " | " so the detail stays one line. */
export function lastLines(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-TAIL_LINES).join(' | ').slice(-1000);
}
