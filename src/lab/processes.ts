// Detached processes that outlive the command that started them: spawned in their own process
// group with output to a log file, recognised later by pid *and* command line (pids are reused),
// and stopped with SIGTERM, a wait, then SIGKILL.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import type { LabProcessRecord } from './lab-state.ts';

/** What to start: a record without what only the start tells (pid, start time). */
export type SpawnSpec = Omit<LabProcessRecord, 'pid' | 'startedAt' | 'startTicks'>;

/** An OS identity to run as; PostgreSQL refuses to run as root. */
export interface RunAs {
  uid: number;
  gid: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Absolute path of `name` found on PATH (or `name` itself when it is a path), else undefined. */
export function findProgram(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name));
  return candidates.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The `postgres` OS user when we are root (PostgreSQL refuses root); undefined = run as ourselves. */
export function postgresIdentity(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  const fields = line?.split(':');
  if (fields === undefined || fields.length < 4) throw new Error('running as root, but there is no `postgres` OS user to run PostgreSQL as: apt-get install -y postgresql');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * The environment a child gets: ours, without CERTAINTY_* (the lab sets every one a node needs, and
 * a stray one from the caller's shell must not change the lab) or the test runner's markers.
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CERTAINTY_') && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  }
  return { ...env, ...extra };
}

/** Spawns detached (own process group, output appended to `log`, not waited for). */
export function spawnDetached(spec: SpawnSpec): LabProcessRecord {
  const [command, ...args] = spec.argv;
  if (command === undefined) throw new Error(`${spec.name}: empty command line`);
  const fd = openSync(spec.log, 'a', 0o644);
  try {
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: childEnv(spec.env),
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(spec.uid === undefined ? {} : { uid: spec.uid }),
      ...(spec.gid === undefined ? {} : { gid: spec.gid }),
    });
    // A failed exec is reported asynchronously; the caller's readiness wait notices the dead pid.
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${command}`);
    child.unref();
    const startTicks = procStat(child.pid)?.startTicks;
    return { ...spec, pid: child.pid, startedAt: new Date().toISOString(), ...(startTicks === undefined ? {} : { startTicks }) };
  } finally {
    closeSync(fd);
  }
}

/** From `/proc/<pid>/stat`: the state letter, the parent and the start time (clock ticks since boot). */
export function procStat(pid: number): { state: string; ppid: number; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the parenthesised command name (which may hold spaces): state is field 3,
    // ppid field 4, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]), startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** `/proc/<pid>/cmdline` split into arguments; undefined when the process is gone or a zombie. */
function processArgs(pid: number): string[] | undefined {
  try {
    if (procStat(pid)?.state === 'Z') return undefined;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (args.at(-1) === '') args.pop();
    return args;
  } catch {
    return undefined;
  }
}

/**
 * The recorded process still runs and is still ours: it started when the recorded one did (a pid
 * reused by any other process, even one with the same command line, starts later), its arguments
 * end with the recorded ones and its program is the recorded one (a script shows up as
 * `python3 /usr/bin/patroni ...`).
 */
export function isAlive(record: Pick<LabProcessRecord, 'pid' | 'argv' | 'startTicks'>): boolean {
  if (record.startTicks !== undefined && procStat(record.pid)?.startTicks !== record.startTicks) return false;
  const args = processArgs(record.pid);
  if (args === undefined) return false;
  const [program, ...rest] = record.argv;
  if (program === undefined || rest.length > args.length) return false;
  const tail = args.slice(args.length - rest.length);
  if (rest.some((a, i) => tail[i] !== a)) return false;
  const head = args.slice(0, args.length - rest.length);
  return head.some((a) => a === program || basename(a) === basename(program));
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Sends `signal` to the recorded process if it is still ours. */
export function signalRecord(record: LabProcessRecord, signal: NodeJS.Signals): boolean {
  if (!isAlive(record)) return false;
  kill(record.pid, signal);
  return true;
}

/** Polls until `done()` or `timeoutMs`; resolves to whether it became true. */
async function pollUntil(done: () => boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}

/**
 * SIGTERM, up to `timeoutMs` for it to exit, then SIGKILL. With `group`, whatever is left in the
 * process group (helpers it started) is killed too. Resolves to whether it had been running.
 */
export async function stopRecord(record: LabProcessRecord, timeoutMs: number, group = false): Promise<boolean> {
  if (!isAlive(record)) return false;
  kill(record.pid, 'SIGTERM');
  if (!(await pollUntil(() => !isAlive(record), timeoutMs))) {
    kill(record.pid, 'SIGKILL');
    await pollUntil(() => !isAlive(record), 5_000);
  }
  // The group id is the recorded pid (spawned detached), and it was ours a moment ago.
  if (group) kill(-record.pid, 'SIGKILL');
  return true;
}

/** The postmaster of a data directory (first line of postmaster.pid) if it runs from that directory. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return processArgs(pid)?.includes(dataDir) === true ? pid : undefined;
}

/** SIGKILLs a postmaster that outlived its Patroni; its backends exit when it does. */
export async function killPostmaster(dataDir: string): Promise<boolean> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return false;
  kill(pid, 'SIGKILL');
  await pollUntil(() => processArgs(pid) === undefined, 5_000);
  return true;
}

/** Pids whose parent is `pid` (a postmaster's backends), from /proc. */
export function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => procStat(child)?.ppid === pid);
}
