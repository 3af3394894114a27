import { readFile, readdir, readlink } from 'node:fs/promises';

/**
 * What the bench reads from Linux's /proc: who listens on a port, the CPU of a process group or
 * a process tree, and resident memory. Elsewhere every reader answers undefined or 0.
 */

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux build Node supports. */
const CLOCK_TICKS = 100;

async function numericDirs(path: string): Promise<string[]> {
  return (await readdir(path).catch(() => [])).filter((e) => /^\d+$/.test(e));
}

/** Fields of /proc/<pid>/stat after "(comm)", so index 0 is `state` (field 3 in proc(5)). */
async function statFields(pid: string): Promise<string[]> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

const ticks = (fields: readonly string[], indexes: readonly number[]): number =>
  indexes.reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
/** utime, stime; then cutime, cstime (children already reaped). */
const OWN = [11, 12] as const;
const WITH_REAPED = [11, 12, 13, 14] as const;

/** The pid listening on 127.0.0.1:`port`, found through /proc/net/tcp and every process's fds. */
export async function listenerPid(port: number): Promise<number | undefined> {
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => '');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  // State 0A is LISTEN; the inode is the tenth column.
  const inode = table.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c[1] === `0100007F:${hexPort}` && c[3] === '0A')?.[9];
  if (!inode) return undefined;
  for (const pid of await numericDirs('/proc')) {
    for (const fd of await numericDirs(`/proc/${pid}/fd`)) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) return Number(pid);
    }
  }
  return undefined;
}

/** The process group of whoever listens on 127.0.0.1:`port`. */
export async function listenerProcessGroup(port: number): Promise<number | undefined> {
  const pid = await listenerPid(port);
  return pid === undefined ? undefined : Number((await statFields(String(pid)))[2]);
}

/** The pids of every live process in group `pgid`. */
async function groupPids(pgid: number): Promise<string[]> {
  const pids: string[] = [];
  for (const pid of await numericDirs('/proc')) if (Number((await statFields(pid))[2]) === pgid) pids.push(pid);
  return pids;
}

/** utime + stime (+ reaped children) of every live process in group `pgid`: a daemon and its workers. */
export async function processGroupCpuSeconds(pgid: number): Promise<number> {
  let total = 0;
  for (const pid of await groupPids(pgid)) total += ticks(await statFields(pid), WITH_REAPED);
  return total / CLOCK_TICKS;
}

/**
 * utime + stime of `root` and all its live descendants, plus what `root` reaped: a PostgreSQL
 * postmaster, its backends and its background workers, whatever process group they are in.
 */
export async function processTreeCpuSeconds(root: number): Promise<number> {
  const stats = new Map<number, string[]>();
  for (const pid of await numericDirs('/proc')) stats.set(Number(pid), await statFields(pid));
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops += 1) {
      if (p === root) return true;
      p = Number(stats.get(p)?.[1] ?? 0);
    }
    return false;
  };
  let total = ticks(stats.get(root) ?? [], WITH_REAPED);
  for (const [pid, fields] of stats) if (pid !== root && inTree(pid)) total += ticks(fields, OWN);
  return total / CLOCK_TICKS;
}

/** Resident set size in bytes of every live process in group `pgid`. */
export async function processGroupRssBytes(pgid: number): Promise<number> {
  let kib = 0;
  for (const pid of await groupPids(pgid)) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    kib += Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  }
  return kib * 1024;
}

/** First, last and largest of the RSS samples, in MB (10^6 bytes), and how many were taken. */
export interface RssSummary {
  readonly samples: number;
  readonly firstMB: number;
  readonly lastMB: number;
  readonly maxMB: number;
}

/** Samples `read()` every `intervalMs` until `stop()`, which answers the summary (undefined: no sample). */
export function sampleRss(read: () => Promise<number | undefined>, intervalMs = 1_000): { stop(): Promise<RssSummary | undefined> } {
  const samples: number[] = [];
  let pending = Promise.resolve();
  const take = (): void => {
    pending = pending.then(async () => {
      const bytes = await read();
      if (bytes !== undefined && bytes > 0) samples.push(bytes / 1e6);
    });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      take();
      await pending;
      if (samples.length === 0) return undefined;
      const round = (x: number): number => Math.round(x * 10) / 10;
      return { samples: samples.length, firstMB: round(samples[0] ?? 0), lastMB: round(samples.at(-1) ?? 0), maxMB: round(Math.max(...samples)) };
    },
  };
}
