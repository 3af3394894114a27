import type { Lease } from '../cluster/leases.ts';
import type { LeaseRecord, LeaseStore, NodeRecord, NodeStore, ScheduleAdvance, ScheduleStore } from '../cluster/store.ts';
import type { EnqueueOptions, Job } from '../jobs/queue.ts';
import type { Database, Queryable } from './db.ts';
import { SqlJobStore } from './job-store.ts';

/**
 * The `leases` table. Writes made under a lease check its token in their own transaction
 * (SqlScheduleStore.fence), so a paused or partitioned ex-holder cannot write after a takeover.
 */
export class SqlLeaseStore implements LeaseStore {
  constructor(
    private readonly db: Database,
    private readonly q: Queryable = db,
  ) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.db.dialect.nowMs;
    const rows = await this.q.query<{ token: number }>(
      `INSERT INTO leases (name, holder, token, acquired_at, expires_at) VALUES (?, ?, 1, ${now}, ${now} + ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = leases.token + 1,
         acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
       WHERE leases.expires_at < excluded.acquired_at OR leases.holder IS NULL OR leases.holder = excluded.holder
       RETURNING token`,
      [name, holder, ttlMs],
    );
    const token = rows[0]?.token;
    return token === undefined ? undefined : { name, token: Number(token) };
  }

  async renew(lease: Lease, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.db.dialect.nowMs;
    const n = await this.q.exec(
      `UPDATE leases SET expires_at = ${now} + ? WHERE name = ? AND holder = ? AND token = ? AND expires_at >= ${now}`,
      [ttlMs, lease.name, holder, lease.token],
    );
    return n === 1;
  }

  async release(lease: Lease, holder: string): Promise<void> {
    await this.q.exec('UPDATE leases SET holder = NULL, expires_at = 0 WHERE name = ? AND holder = ? AND token = ?', [lease.name, holder, lease.token]);
  }

  async list(): Promise<LeaseRecord[]> {
    const rows = await this.q.query<{ name: string; holder: string | null; token: number; expires_at: number; left: number }>(
      `SELECT name, holder, token, expires_at, expires_at - ${this.db.dialect.nowMs} AS left FROM leases ORDER BY name`,
    );
    return rows.map((r) => ({ name: r.name, holder: r.holder, token: Number(r.token), expiresAt: Number(r.expires_at), expiresInMs: Number(r.left) }));
  }
}

interface NodeRow {
  id: string;
  instance: string;
  version: string;
  address: string;
  status: string;
  started_at: number;
  last_seen: number;
  age: number;
}

const toNode = (r: NodeRow): NodeRecord => ({
  id: r.id, instance: r.instance, version: r.version, address: r.address, status: r.status,
  startedAt: Number(r.started_at), lastSeen: Number(r.last_seen), ageMs: Number(r.age),
});

/** The `nodes` table; heartbeat ages are measured on the database clock. */
export class SqlNodeStore implements NodeStore {
  constructor(
    private readonly db: Database,
    private readonly q: Queryable = db,
  ) {}

  private select(where: string): string {
    return `SELECT id, instance, version, address, status, started_at, last_seen, ${this.db.dialect.nowMs} - last_seen AS age FROM nodes ${where}`;
  }

  async node(id: string): Promise<NodeRecord | undefined> {
    const rows = await this.q.query<NodeRow>(this.select('WHERE id = ?'), [id]);
    return rows[0] && toNode(rows[0]);
  }

  async register(node: { id: string; instance: string; version: string; address: string }): Promise<void> {
    const now = this.db.dialect.nowMs;
    await this.q.exec(
      `INSERT INTO nodes (id, instance, version, address, status, started_at, last_seen) VALUES (?, ?, ?, ?, 'up', ${now}, ${now})
       ON CONFLICT (id) DO UPDATE SET instance = excluded.instance, version = excluded.version, address = excluded.address,
         status = 'up', started_at = excluded.started_at, last_seen = excluded.last_seen`,
      [node.id, node.instance, node.version, node.address],
    );
  }

  async heartbeat(id: string, instance: string, status: 'up' | 'draining' | 'stopped'): Promise<boolean> {
    const n = await this.q.exec(`UPDATE nodes SET last_seen = ${this.db.dialect.nowMs}, status = ? WHERE id = ? AND instance = ?`, [status, id, instance]);
    return n === 1;
  }

  async list(): Promise<NodeRecord[]> {
    return (await this.q.query<NodeRow>(this.select('ORDER BY id'))).map(toNode);
  }
}

/** The `schedules` table; `transaction()` binds the schedule, lease and job statements to one transaction. */
export class SqlScheduleStore implements ScheduleStore {
  constructor(
    private readonly db: Database,
    private readonly q: Queryable = db,
  ) {}

  async addSchedules(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.q.exec(`INSERT INTO schedules (name, next_run_at, last_token) VALUES (?, ${this.db.dialect.nowMs}, 0) ON CONFLICT (name) DO NOTHING`, [name]);
    }
  }

  transaction<T>(fn: (store: ScheduleStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlScheduleStore(this.db, tx)));
  }

  async fence(lease: Lease, holder: string): Promise<boolean> {
    const rows = await this.q.query(
      `SELECT token FROM leases WHERE name = ? AND holder = ? AND token = ? AND expires_at >= ${this.db.dialect.nowMs} ${this.db.dialect.forUpdate}`,
      [lease.name, holder, lease.token],
    );
    return rows.length > 0;
  }

  async due(): Promise<Array<{ name: string; slot: number }>> {
    const rows = await this.q.query<{ name: string; next_run_at: number }>(`SELECT name, next_run_at FROM schedules WHERE next_run_at <= ${this.db.dialect.nowMs}`);
    return rows.map((r) => ({ name: r.name, slot: Number(r.next_run_at) }));
  }

  async advance(c: ScheduleAdvance): Promise<void> {
    await this.q.exec(`UPDATE schedules SET next_run_at = ${this.db.dialect.nowMs} + ?, last_token = ?, last_node = ? WHERE name = ? AND next_run_at = ?`, [
      c.periodMs, c.token, c.holder, c.name, c.slot,
    ]);
  }

  enqueueJob(kind: string, payload: Record<string, unknown>, options: EnqueueOptions): Promise<Job | undefined> {
    return new SqlJobStore(this.db, this.q).enqueue(kind, payload, options);
  }
}
