import { randomBytes } from 'node:crypto';
import type { Database } from '../store/db.ts';

export interface NodeRow {
  id: string;
  instance: string;
  version: string;
  address: string;
  status: string;
  started_at: number;
  last_seen: number;
}

export interface NodeInfo {
  id: string;
  version: string;
  address: string;
  /** up, draining or stopped as the node reported it; down when its heartbeat is stale. */
  status: 'up' | 'draining' | 'stopped' | 'down';
  startedAt: string;
  lastSeen: string;
  lastSeenAgoMs: number;
}

/** A node whose heartbeat is older than this is reported down. */
export const NODE_DOWN_AFTER_MS = 3000;
export const HEARTBEAT_MS = 1000;

export class NodeCloneError extends Error {}

/**
 * The `nodes` table: every node registers at start and heartbeats every second (database clock).
 * Each process start has its own `instance` id: finding our node id alive under another instance
 * means this data directory was copied from a running node, and two processes must never share an
 * identity (leases and job claims are held by node id).
 */
export class NodeRegistry {
  readonly instance = randomBytes(8).toString('hex');

  constructor(
    private readonly db: Database,
    readonly nodeId: string,
    private readonly version: string,
    private readonly address: string,
  ) {}

  /**
   * Registers this process as the node. A recent heartbeat under our id may be our own previous
   * incarnation that just crashed, or a live copy of this data directory: we watch it for one
   * down-period, and only a heartbeat that keeps advancing (a live process) is refused.
   */
  async register(): Promise<void> {
    const first = await this.lastBeat();
    if (first && first.status !== 'stopped' && first.age < NODE_DOWN_AFTER_MS) {
      await new Promise((r) => setTimeout(r, NODE_DOWN_AFTER_MS + 500));
      const again = await this.lastBeat();
      if (again && again.status !== 'stopped' && again.lastSeen !== first.lastSeen) {
        throw new NodeCloneError(
          `node id ${this.nodeId} is in use by a live node (it heartbeats under instance ${again.instance}): this data directory was copied from a running node. ` +
            'Give each node its own data directory, or delete its server_id file to make a new identity.',
        );
      }
    }
    const now = this.db.dialect.nowMs;
    await this.db.transaction(async (tx) => {
      await tx.exec(
        `INSERT INTO nodes (id, instance, version, address, status, started_at, last_seen) VALUES (?, ?, ?, ?, 'up', ${now}, ${now})
         ON CONFLICT (id) DO UPDATE SET instance = excluded.instance, version = excluded.version, address = excluded.address,
           status = 'up', started_at = excluded.started_at, last_seen = excluded.last_seen`,
        [this.nodeId, this.instance, this.version, this.address],
      );
    });
  }

  private async lastBeat(): Promise<{ instance: string; status: string; age: number; lastSeen: number } | undefined> {
    const rows = await this.db.query<{ instance: string; status: string; age: number; last_seen: number }>(
      `SELECT instance, status, last_seen, ${this.db.dialect.nowMs} - last_seen AS age FROM nodes WHERE id = ?`,
      [this.nodeId],
    );
    const r = rows[0];
    return r && { instance: r.instance, status: r.status, age: Number(r.age), lastSeen: Number(r.last_seen) };
  }

  /** Heartbeat; false if another instance took over our identity (then we must stop). */
  async heartbeat(status: 'up' | 'draining' | 'stopped'): Promise<boolean> {
    const n = await this.db.exec(`UPDATE nodes SET last_seen = ${this.db.dialect.nowMs}, status = ? WHERE id = ? AND instance = ?`, [status, this.nodeId, this.instance]);
    return n === 1;
  }

  async list(): Promise<NodeInfo[]> {
    const rows = await this.db.query<NodeRow & { age: number }>(
      `SELECT id, instance, version, address, status, started_at, last_seen, ${this.db.dialect.nowMs} - last_seen AS age FROM nodes ORDER BY id`,
    );
    return rows.map((r) => ({
      id: r.id, version: r.version, address: r.address,
      status: r.status === 'stopped' ? 'stopped' : Number(r.age) > NODE_DOWN_AFTER_MS ? 'down' : (r.status as 'up' | 'draining'),
      startedAt: new Date(Number(r.started_at)).toISOString(), lastSeen: new Date(Number(r.last_seen)).toISOString(), lastSeenAgoMs: Number(r.age),
    }));
  }
}
