import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { DatabaseUse, SqliteGrowth } from './database.ts';
import type { LoadResult } from './load.ts';
import type { RssSummary } from './proc.ts';
import { pebbleVersion } from './targets.ts';

export interface MachineFacts {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly pebble: string;
  /** 1-minute load average before the run, to spot a busy machine. */
  readonly loadAverage: number;
}

export async function machineFacts(): Promise<MachineFacts> {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    pebble: await pebbleVersion(),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** What one target produced: a load result plus validation count, or why it could not run. */
export type TargetOutcome =
  | (LoadResult & {
      readonly accounts: number;
      readonly validationsServed: number;
      /** CPU used by the server's processes during the load; null where /proc is missing. */
      readonly serverCpuSeconds: number | null;
      /** CPU used by this process (clients and responder) during the load. */
      readonly clientCpuSeconds: number;
      /** The server's resident memory sampled every second over the measured load (after warm-up). */
      readonly rss?: RssSummary;
      /** Certainty on PostgreSQL: what it asked of the database and what that cost the database. */
      readonly database?: DatabaseUse;
      /** Certainty on SQLite: how its database file grew over the measured load. */
      readonly sqlite?: SqliteGrowth;
    })
  | { readonly error: string };

export interface Ratio {
  /** Certainty orders/s divided by Pebble orders/s. */
  readonly throughput: number;
  readonly p50Latency: number;
  readonly p99Latency: number;
  /** Server CPU per completed order, Certainty over Pebble; null where /proc was not readable. */
  readonly serverCpuPerOrder: number | null;
}

export function ratio(certainty: TargetOutcome | undefined, pebble: TargetOutcome | undefined): Ratio | undefined {
  if (!certainty || !pebble || 'error' in certainty || 'error' in pebble) return undefined;
  if (certainty.completed === 0 || pebble.completed === 0) return undefined;
  const round = (x: number): number => Math.round(x * 100) / 100;
  const cpu = (o: typeof certainty): number | null => (o.serverCpuSeconds === null ? null : o.serverCpuSeconds / o.completed);
  const [certaintyCpu, pebbleCpu] = [cpu(certainty), cpu(pebble)];
  return {
    throughput: round(certainty.ordersPerSecond / pebble.ordersPerSecond),
    p50Latency: round(certainty.latencyMs.p50 / pebble.latencyMs.p50),
    p99Latency: round(certainty.latencyMs.p99 / pebble.latencyMs.p99),
    serverCpuPerOrder: certaintyCpu === null || !pebbleCpu ? null : round(certaintyCpu / pebbleCpu),
  };
}

const COLUMNS = ['target', 'done', 'errors', 'orders/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'secs', 'http-01 GETs', 'server cpu ms/order', 'bench cpu ms/order'];
const WIDTHS = COLUMNS.map((c) => Math.max(c.length, 8));

function row(cells: readonly string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(WIDTHS[i] ?? 8))).join(' ');
}

const ms = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(0));
const perOrder = (seconds: number | null, orders: number): string =>
  seconds === null || orders === 0 ? '-' : ((seconds * 1000) / orders).toFixed(1);

const each = (count: number, orders: number): string => (orders === 0 ? '-' : (count / orders).toFixed(1));
/** Bytes per order in kB (1000 bytes), as operators read disk use. */
const kbEach = (bytes: number, orders: number): string => (orders === 0 ? '-' : `${(bytes / orders / 1000).toFixed(1)} kB`);

/** Lines under the table: answers, memory and database use of one target. */
function details(name: string, o: Exclude<TargetOutcome, { error: string }>): string[] {
  const lines = [`${name}: ${o.failed} failed orders, ${o.unanswered} with an unanswered request` + (o.lateStarts > 0 ? `, ${o.lateStarts} late starts (in-flight cap full)` : '')];
  if (o.rss) lines.push(`${name}: server RSS over the measured load (${o.rss.samples} samples, 1 s apart): first ${o.rss.firstMB} MB, last ${o.rss.lastMB} MB, max ${o.rss.maxMB} MB, growth ${(o.rss.lastMB - o.rss.firstMB).toFixed(1)} MB`);
  const db = o.database;
  if (db) {
    const w = db.wire;
    const n = o.completed;
    lines.push(
      `${name}: PostgreSQL cpu ${perOrder(db.serverCpuSeconds, n)} ms/order beside the node's ${perOrder(o.serverCpuSeconds, n)} ms/order` +
        (db.serverCpuSeconds === null || o.serverCpuSeconds === null ? '' : ` (together ${perOrder(db.serverCpuSeconds + o.serverCpuSeconds, n)})`),
      `${name}: per order ${each(w.roundTrips, n)} database round trips, ${each(w.query + w.execute, n)} statements ` +
        `(Query ${each(w.query, n)}, Execute ${each(w.execute, n)}; Parse ${each(w.parse, n)}, Bind ${each(w.bind, n)}, Sync ${each(w.sync, n)})`,
    );
    if (db.walBytes !== null) lines.push(`${name}: bytes written per order: ${kbEach(db.walBytes, n)} of PostgreSQL WAL (pg_wal_lsn_diff over the load, whole cluster)`);
  }
  if (o.sqlite) {
    lines.push(
      `${name}: bytes written per order: SQLite database grew ${kbEach(o.sqlite.databaseBytes, o.completed)} (pages in use x page size); ` +
        `-wal file ${(o.sqlite.walFileBytes / 1e6).toFixed(1)} MB at the end`,
    );
  }
  return lines;
}

/** The result table, error breakdown and ratio as printed lines. */
export function formatResults(outcomes: Readonly<Record<string, TargetOutcome>>): string[] {
  const lines = [row(COLUMNS)];
  const notes: string[] = [];
  for (const [name, o] of Object.entries(outcomes)) {
    if ('error' in o) {
      lines.push(`${name.padEnd(10)} did not run: ${o.error.split('\n')[0] ?? ''}`);
      notes.push(`${name}: ${o.error}`);
      continue;
    }
    lines.push(row([
      name, String(o.completed), String(o.failed), o.ordersPerSecond.toFixed(1), ms(o.latencyMs.p50), ms(o.latencyMs.p90),
      ms(o.latencyMs.p99), ms(o.latencyMs.max), o.elapsedSeconds.toFixed(1), String(o.validationsServed),
      perOrder(o.serverCpuSeconds, o.completed), perOrder(o.clientCpuSeconds, o.completed),
    ]));
    notes.push(...details(name, o));
    if (o.stoppedBy === 'time') notes.push(`${name}: stopped by --max-seconds after ${o.started} orders started`);
    for (const [kind, count] of Object.entries(o.errors)) {
      notes.push(`${name}: ${count} x ${kind} (e.g. ${o.errorExamples[kind] ?? ''})`);
    }
  }
  const r = ratio(outcomes['certainty'], outcomes['pebble']);
  lines.push('');
  lines.push(r
    ? `certainty/pebble: throughput ${r.throughput}x, p50 latency ${r.p50Latency}x, p99 latency ${r.p99Latency}x, ` +
      `server cpu per order ${r.serverCpuPerOrder ?? '-'}x`
    : 'certainty/pebble: n/a (both targets must complete orders)');
  if (notes.length > 0) lines.push('', ...notes);
  return lines;
}

/** Runs a benchmark's `main` as the script's body: its return value is the exit code, a throw is 2. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 2;
    },
  );
}
