import { readFile, readdir, readlink } from 'node:fs/promises';
import { startCertainty } from '../test/support/certainty.ts';
import { freePort } from '../test/support/free-port.ts';
import { startPebble } from '../test/support/pebble.ts';
import { run, runUnchecked } from '../test/support/run.ts';
import type { TargetName } from './options.ts';

/** An ACME server under test, running on 127.0.0.1. */
export interface BenchTarget {
  readonly name: TargetName;
  readonly directoryUrl: string;
  /** PEM trust anchor for the server's HTTPS certificate. */
  readonly ca: string;
  /** CPU seconds used so far by the server's processes (Linux), undefined where unknown. */
  cpuSeconds(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** What both servers share: the mock DNS that resolves every bench name, and the responder port. */
export interface TargetEnvironment {
  /** host:port of the test DNS (test/support/dns.ts). */
  readonly dnsAddress: string;
  /** Port of the one http-01 responder on 127.0.0.1. */
  readonly http01Port: number;
}

export interface CertaintySettings {
  /** PostgreSQL URL; unset means SQLite in a temporary data directory. */
  readonly databaseUrl?: string;
  /** Run `npm run build` first so `bin/certainty.js` runs the current sources. */
  readonly build: boolean;
  /** Write the server's CPU profile (`node --cpu-prof`) into this directory when it stops. */
  readonly cpuProfDir?: string;
}

/** Every bench client creates its accounts from 127.0.0.1: no per-address limit on account creation. */
export const BENCH_ENV: Readonly<Record<string, string>> = { CERTAINTY_RATE_LIMIT_ACCOUNTS_PER_ADDRESS: '{"limit":1000000,"windowSeconds":1}' };

/** The installed Pebble's Debian package version ('unknown' elsewhere). */
export async function pebbleVersion(): Promise<string> {
  const r = await runUnchecked('dpkg-query', ['-W', '-f=${Version}', 'pebble'], { timeoutMs: 10_000 }).catch(() => undefined);
  return r?.code === 0 && r.stdout ? r.stdout : 'unknown';
}

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

/** The process group of whoever listens on 127.0.0.1:`port`, found through /proc (Linux only). */
export async function listenerProcessGroup(port: number): Promise<number | undefined> {
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => '');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  // State 0A is LISTEN; the inode is the tenth column.
  const inode = table.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c[1] === `0100007F:${hexPort}` && c[3] === '0A')?.[9];
  if (!inode) return undefined;
  for (const pid of await numericDirs('/proc')) {
    for (const fd of await numericDirs(`/proc/${pid}/fd`)) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) {
        return Number((await statFields(pid))[2]);
      }
    }
  }
  return undefined;
}

/** utime + stime (+ reaped children) of every live process in group `pgid`: a daemon and its workers. */
export async function processGroupCpuSeconds(pgid: number): Promise<number> {
  let ticks = 0;
  for (const pid of await numericDirs('/proc')) {
    const fields = await statFields(pid);
    if (Number(fields[2]) !== pgid) continue;
    ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  }
  return ticks / CLOCK_TICKS;
}

function cpuMeter(directoryUrl: string): () => Promise<number | undefined> {
  const group = listenerProcessGroup(Number(new URL(directoryUrl).port));
  return async () => {
    const pgid = await group;
    return pgid === undefined ? undefined : processGroupCpuSeconds(pgid);
  };
}

/** Pebble from the Debian package (no validation sleeps, no deliberate badNonce), via test/support/pebble.ts. */
async function startPebbleTarget(env: TargetEnvironment): Promise<BenchTarget> {
  // Nothing listens on the tls-alpn-01 port: the bench only uses http-01.
  const pebble = await startPebble({ dnsAddress: env.dnsAddress, http01Port: env.http01Port, tlsAlpn01Port: await freePort() });
  return {
    name: 'pebble',
    directoryUrl: pebble.directoryUrl,
    ca: await readFile(pebble.tlsCaPemPath, 'utf8'),
    cpuSeconds: cpuMeter(pebble.directoryUrl),
    stop: () => pebble.stop(),
  };
}

/** `certainty serve` from this checkout on a fresh data directory, via test/support/certainty.ts. */
async function startCertaintyTarget(env: TargetEnvironment, settings: CertaintySettings): Promise<BenchTarget> {
  if (settings.build) await run('npm', ['run', '--silent', 'build'], { cwd: import.meta.dirname, timeoutMs: 300_000 });
  const server = await startCertainty({
    dnsAddress: env.dnsAddress,
    http01Port: env.http01Port,
    tlsAlpn01Port: await freePort(),
    ...(settings.databaseUrl === undefined ? {} : { databaseUrl: settings.databaseUrl }),
    env: BENCH_ENV,
    ...(settings.cpuProfDir === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`] }),
  });
  return {
    name: 'certainty',
    directoryUrl: server.directoryUrl,
    ca: await readFile(server.rootPemPath, 'utf8'),
    cpuSeconds: cpuMeter(server.directoryUrl),
    stop: () => server.dispose(),
  };
}

export function startTarget(name: TargetName, env: TargetEnvironment, certainty: CertaintySettings): Promise<BenchTarget> {
  return name === 'pebble' ? startPebbleTarget(env) : startCertaintyTarget(env, certainty);
}
