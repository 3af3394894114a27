// What a drill watches while a scenario runs: the front's /readyz every 100 ms, a write to the
// database every 100 ms, and the roles (Patroni leader, scheduler lease holder, HAProxy server
// states) a few times a second. Everything lands on one timeline, bucketed by second.
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import type { LabControl } from './lab-control.ts';
import { httpCall, httpStatus } from './lab-probes.ts';
import { emptyBucket, type EventKind, type SecondBucket, type TimelineEvent } from './report.ts';

/** The scenario's clock: events and per-second buckets relative to its start. */
export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly buckets = new Map<number, SecondBucket>();

  constructor(readonly t0: number = Date.now()) {}

  /** The bucket of wall-clock time `at`. */
  bucket(at: number = Date.now()): SecondBucket {
    const second = Math.max(0, Math.floor((at - this.t0) / 1000));
    let b = this.buckets.get(second);
    if (b === undefined) {
      b = emptyBucket(second);
      this.buckets.set(second, b);
    }
    return b;
  }

  event(kind: EventKind, label: string, at: number = Date.now()): number {
    this.events.push({ atMs: at - this.t0, kind, label });
    return at;
  }

  /** Every second from the start to the last one seen, gaps filled with empty buckets. */
  seconds(): SecondBucket[] {
    const last = Math.max(0, ...this.buckets.keys());
    return Array.from({ length: last + 1 }, (_, s) => this.buckets.get(s) ?? emptyBucket(s));
  }
}

/** Successes and failures of a periodic probe, with the longest run without a success. */
export class OutageMeter {
  attempts = 0;
  failures = 0;
  /** When the last success finished (0: none yet). */
  lastOkAt = 0;
  private longest = 0;
  private firstFailure: number | undefined;
  /** Start and end of the longest outage (wall clock), when there was one. */
  worst: { from: number; to: number } | undefined;

  /** `at`: when a failed attempt started, or when a successful one finished. */
  record(ok: boolean, at: number): void {
    this.attempts += 1;
    if (ok) {
      if (this.firstFailure !== undefined) this.close(this.firstFailure, at);
      this.firstFailure = undefined;
      this.lastOkAt = at;
    } else {
      this.failures += 1;
      this.firstFailure ??= at;
    }
  }

  /** Longest run of failures in ms (an outage still going at `now` counts up to `now`). */
  longestMs(now: number = Date.now()): number {
    if (this.firstFailure !== undefined) this.close(this.firstFailure, now);
    return this.longest;
  }

  private close(from: number, to: number): void {
    if (to - from > this.longest) {
      this.longest = to - from;
      this.worst = { from, to };
    }
  }
}

/**
 * A loop that runs `tick` every `intervalMs` until stopped; errors are the tick's own business. A
 * tick that hangs (a request to a paused process, a query on a dead connection) is abandoned after
 * `tickTimeoutMs`, so the watcher keeps its pace and `stop()` always returns.
 */
export function every(intervalMs: number, tick: () => Promise<void>, tickTimeoutMs = 3_000): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await Promise.race([tick().catch(() => undefined), sleep(tickTimeoutMs)]);
      await sleep(Math.max(0, intervalMs - (Date.now() - started)));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Polls the front's /readyz every 100 ms: what a load balancer or a client sees. */
export function watchReadyz(frontUrl: string, timeline: Timeline): { meter: OutageMeter; stop(): Promise<void> } {
  const meter = new OutageMeter();
  const loop = every(100, async () => {
    const started = Date.now();
    const ok = (await httpStatus(`${frontUrl}/readyz`, 1_000)) === 200;
    const at = Date.now();
    meter.record(ok, ok ? at : started);
    const b = timeline.bucket(at);
    if (ok) b.readyzOk += 1;
    else b.readyzFailed += 1;
  });
  return { meter, stop: () => loop.stop() };
}

/**
 * Reads through the front every 100 ms: GET /directory and HEAD newNonce, what a client needs
 * before any write and what no node needs the database's primary for (nonces are minted without a
 * write). A database failover should leave them answering; only writes wait for the new primary.
 */
export function watchReads(frontUrl: string): { meter: OutageMeter; stop(): Promise<void> } {
  const meter = new OutageMeter();
  const loop = every(100, async () => {
    const started = Date.now();
    const answers = await Promise.all([
      httpCall(`${frontUrl}/directory`, { timeoutMs: 1_000 }).then((r) => r.status, () => 0),
      httpCall(`${frontUrl}/acme/new-nonce`, { method: 'HEAD', timeoutMs: 1_000 }).then((r) => r.status, () => 0),
    ]);
    const ok = answers.every((status) => status === 200);
    meter.record(ok, ok ? Date.now() : started);
  });
  return { meter, stop: () => loop.stop() };
}

const PROBE_TABLE = 'drill_probe';

/**
 * Writes one row every 100 ms through the lab's database path (HAProxy on Patroni's /primary):
 * the longest gap between successful writes is the write unavailability. A write that does not
 * finish within a second counts as failed and its pool is thrown away, as a client would.
 */
export async function watchWrites(databaseUrl: string, timeline: Timeline): Promise<{ meter: OutageMeter; stop(): Promise<void> }> {
  const open = (): postgres.Sql => postgres(databaseUrl, { max: 1, connect_timeout: 2, idle_timeout: 0, prepare: false, onnotice: () => undefined });
  let sql = open();
  await sql.unsafe(`create table if not exists ${PROBE_TABLE} (id bigserial primary key, at timestamptz not null default now())`);
  const meter = new OutageMeter();
  const loop = every(100, async () => {
    const started = Date.now();
    const write = sql.unsafe(`insert into ${PROBE_TABLE} default values`).then(() => true, () => false);
    const ok = await Promise.race([write, sleep(1_000).then(() => false)]);
    const at = Date.now();
    meter.record(ok, ok ? at : started);
    const b = timeline.bucket(at);
    if (ok) b.writesOk += 1;
    else {
      b.writesFailed += 1;
      const stale = sql;
      sql = open();
      void stale.end({ timeout: 0 }).catch(() => undefined);
    }
  });
  return {
    meter,
    stop: async () => {
      await loop.stop();
      await sql.unsafe(`delete from ${PROBE_TABLE}`).catch(() => undefined);
      await sql.end({ timeout: 1 }).catch(() => undefined);
    },
  };
}

/** The holder of the scheduler lease, as lab node names, read from the database. */
export interface LeaseView {
  holder: string | undefined;
  token: number;
}

/**
 * Watches roles and records each change on the timeline: the Patroni leader, the scheduler lease
 * holder, and every HAProxy server's state on the front. `nodeName` maps a `server_id` to `node1`...
 */
export function watchRoles(control: LabControl, sql: postgres.Sql, nodeName: (id: string) => string, timeline: Timeline): { lease(): LeaseView; frontStates(): Record<string, string>; leader(): string | undefined; stop(): Promise<void> } {
  let leader: string | undefined;
  let lease: LeaseView = { holder: undefined, token: 0 };
  let front: Record<string, string> = {};
  const leaders = every(300, async () => {
    const now = await control.primary().catch(() => undefined);
    if (now !== undefined && now !== leader) {
      if (leader !== undefined) timeline.event('role', `PostgreSQL leader: ${now}`);
      leader = now;
    }
  });
  const leases = every(200, async () => {
    const rows = await sql`select holder, token::int as token from leases where name = 'scheduler' and expires_at > ${Date.now()}`;
    const row = rows[0];
    const holder = row?.['holder'] === undefined || row['holder'] === null ? undefined : nodeName(String(row['holder']));
    const token = Number(row?.['token'] ?? lease.token);
    if (holder !== lease.holder || token !== lease.token) {
      if (lease.token !== 0 && holder !== undefined) timeline.event('role', `scheduler lease: ${holder} (token ${token})`);
      lease = { holder, token };
    }
  });
  const states = every(200, async () => {
    const now = await control.backendStates('front');
    for (const [server, state] of Object.entries(now)) {
      const before = front[server];
      if (before !== undefined && before !== state) timeline.event('note', `${server.split('/').pop() ?? server} ${state}`);
    }
    front = now;
  });
  return {
    lease: () => lease,
    frontStates: () => front,
    leader: () => leader,
    stop: async () => {
      await Promise.all([leaders.stop(), leases.stop(), states.stop()]);
    },
  };
}
