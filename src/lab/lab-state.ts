// The lab's record of itself: `<dir>/lab.json`. It is written before the first process starts and
// again after every spawn, so `certainty lab down` can find everything even when `lab up` died
// half way. It holds database passwords, hence mode 0600.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULTS } from '../config/schema.ts';

/** Timings of the lab's moving parts: shorter than production so drills run in seconds. */
export interface LabTuning {
  /** `CERTAINTY_LEASE_TTL_MS`; default 15000. */
  leaseTtlMs: number;
  /** `CERTAINTY_DRAIN_DELAY_MS`; default 2000. */
  drainDelayMs: number;
  /** HAProxy front `inter`; default 500 ms. */
  frontCheckIntervalMs: number;
  /** HAProxy database `inter`; default 1000 ms. */
  dbCheckIntervalMs: number;
  patroniTtl: number;
  patroniLoopWait: number;
  patroniRetryTimeout: number;
  /** `CERTAINTY_HOUSEKEEPING_PERIOD_MS`: short in the lab, so a drill sees every duty run again. */
  housekeepingPeriodMs: number;
  /** `CERTAINTY_CRL_PERIOD_MS`, likewise. */
  crlPeriodMs: number;
}

export const DEFAULT_TUNING: LabTuning = {
  leaseTtlMs: DEFAULTS.cluster.leaseTtlMs,
  // Several front check intervals (500 ms), so HAProxy has seen the draining node's /readyz 404
  // and put it in soft-stop before its listener closes: with 0 the drills measured a request cut.
  drainDelayMs: 2_000,
  frontCheckIntervalMs: 500,
  dbCheckIntervalMs: 1000,
  // The leader key's TTL bounds a failover after the primary's host dies (about ttl + 1 s). A
  // primary demotes itself when it cannot renew its key for retry_timeout: 5 s rides out an etcd
  // leader election on a loaded machine, where 3 s (with ttl 8) demoted it in the suite.
  // loop_wait + 2 × retry_timeout <= ttl (1 + 10 <= 12). Patroni 3.0.2 (Debian 12) accepts a TTL
  // under 20; later releases raise it to 20 with a warning (docs/ha.md).
  patroniTtl: 12,
  patroniLoopWait: 1,
  patroniRetryTimeout: 5,
  housekeepingPeriodMs: 5_000,
  crlPeriodMs: 10_000,
};

export interface LabOptions {
  dir: string;
  nodes: number;
  basePort: number;
  tuning?: Partial<LabTuning>;
  log?: (line: string) => void;
}

/** One detached process of the lab, enough to recognise it (pid + argv) and to start it again. */
export interface LabProcessRecord {
  name: string;
  kind: 'etcd' | 'patroni' | 'haproxy' | 'certainty';
  pid: number;
  argv: string[];
  /** Only the variables the lab sets; the rest is inherited at spawn time. */
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  log: string;
  startedAt: string;
  /** `/proc/<pid>/stat` start time: tells this process from a later one that reuses its pid. */
  startTicks?: number;
}

export interface LabState {
  version: 1;
  dir: string;
  createdAt: string;
  basePort: number;
  tuning: LabTuning;
  /** `http://127.0.0.1:<base+60>` */
  frontUrl: string;
  directoryUrl: string;
  rootPemPath: string;
  /** The `certainty` role through `listen db`, database `certainty`. */
  databaseUrl: string;
  /** The superuser through `listen db`, database `postgres`. */
  adminDatabaseUrl: string;
  dnsPort: number;
  http01Port: number;
  tlsAlpn01Port: number;
  frontStatsSocket: string;
  dbStatsSocket: string;
  etcd: Array<{ name: string; clientUrl: string; peerUrl: string }>;
  postgres: Array<{ name: string; port: number; restUrl: string; dataDir: string }>;
  nodes: Array<{ name: string; baseUrl: string; port: number; dataDir: string; dbListen: string }>;
  /** Keyed by name: etcd1..3, pg1, pg2, haproxy-db, haproxy-front, node1..N. */
  processes: Record<string, LabProcessRecord>;
}

function labFile(dir: string): string {
  return join(resolve(dir), 'lab.json');
}

/** Reads `<dir>/lab.json`; one clear error when there is no lab there. */
export async function readLab(dir: string): Promise<LabState> {
  const path = labFile(dir);
  if (!existsSync(path)) throw new Error(`no lab in ${resolve(dir)} (no lab.json): start one with \`certainty lab up --dir ${dir}\``);
  const state = JSON.parse(await readFile(path, 'utf8')) as LabState;
  if (state.version !== 1) throw new Error(`${path}: unknown lab.json version ${String(state.version)}`);
  return state;
}

/**
 * Replaces lab.json atomically, so a crash never leaves half a file for `lab down` to choke on.
 * Synchronous on purpose: processes started together record themselves one after the other, and
 * the last write is always the newest state.
 */
export async function writeLab(state: LabState): Promise<void> {
  const path = labFile(state.dir);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return Promise.resolve();
}

/** `postgres://user:secret@host/db` → `postgres://user@host/db`, for anything printed. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1@');
}
