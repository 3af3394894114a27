import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCertainty } from '../test/support/certainty.ts';
import { freePort } from '../test/support/free-port.ts';
import { startPebble } from '../test/support/pebble.ts';
import { run, runUnchecked } from '../test/support/run.ts';
import type { TargetName } from './options.ts';
import { listenerProcessGroup, processGroupCpuSeconds, processGroupRssBytes } from './proc.ts';

/** An ACME server under test, running on 127.0.0.1. */
export interface BenchTarget {
  readonly name: TargetName;
  readonly directoryUrl: string;
  /** PEM trust anchor for the server's HTTPS certificate. */
  readonly ca: string;
  /** CPU seconds used so far by the server's processes (Linux), undefined where unknown. */
  cpuSeconds(): Promise<number | undefined>;
  /** Resident memory of the server's processes in bytes (Linux), undefined where unknown. */
  rssBytes(): Promise<number | undefined>;
  /** Certainty on SQLite: its database file, for the bench to read page counts from. */
  readonly sqliteFile?: string;
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
  /** Serve this existing data directory (e.g. one filled by `npm run bench:seed`) instead of a fresh one. */
  readonly dataDir?: string;
  /** `serve --workers` (CERTAINTY_WORKERS); unset = one process. */
  readonly workers?: number;
}

/** Every bench client creates its accounts from 127.0.0.1: no per-address limit on account creation. */
export const BENCH_ENV: Readonly<Record<string, string>> = { CERTAINTY_RATE_LIMIT_ACCOUNTS_PER_ADDRESS: '{"limit":1000000,"windowSeconds":1}' };

/** The installed Pebble's Debian package version ('unknown' elsewhere). */
export async function pebbleVersion(): Promise<string> {
  const r = await runUnchecked('dpkg-query', ['-W', '-f=${Version}', 'pebble'], { timeoutMs: 10_000 }).catch(() => undefined);
  return r?.code === 0 && r.stdout ? r.stdout : 'unknown';
}

/** CPU and RSS readers for the process group listening on the directory URL's port. */
function meters(directoryUrl: string): Pick<BenchTarget, 'cpuSeconds' | 'rssBytes'> {
  const group = listenerProcessGroup(Number(new URL(directoryUrl).port));
  return {
    cpuSeconds: async () => {
      const pgid = await group;
      return pgid === undefined ? undefined : processGroupCpuSeconds(pgid);
    },
    rssBytes: async () => {
      const pgid = await group;
      return pgid === undefined ? undefined : processGroupRssBytes(pgid);
    },
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
    ...meters(pebble.directoryUrl),
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
    env: settings.workers === undefined ? BENCH_ENV : { ...BENCH_ENV, CERTAINTY_WORKERS: String(settings.workers) },
    ...(settings.cpuProfDir === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`] }),
    ...(settings.dataDir === undefined ? {} : { dataDir: settings.dataDir }),
  });
  return {
    name: 'certainty',
    directoryUrl: server.directoryUrl,
    ca: await readFile(server.rootPemPath, 'utf8'),
    ...meters(server.directoryUrl),
    ...(settings.databaseUrl === undefined ? { sqliteFile: join(server.dataDir, 'certainty.db') } : {}),
    stop: () => server.dispose(),
  };
}

export function startTarget(name: TargetName, env: TargetEnvironment, certainty: CertaintySettings): Promise<BenchTarget> {
  return name === 'pebble' ? startPebbleTarget(env) : startCertaintyTarget(env, certainty);
}
