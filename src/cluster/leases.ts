import type { Database, Queryable } from '../store/db.ts';

/** A held lease: the fencing token to put on every write made under it. */
export interface Lease {
  name: string;
  token: number;
}

export interface LeaseInfo {
  name: string;
  holder: string | null;
  token: number;
  expiresAt: string;
  expiresInMs: number;
}

/** The lease named in a write was lost: the write must not happen. */
export class FencedError extends Error {
  constructor(lease: Lease) {
    super(`lease ${lease.name} token ${lease.token} is no longer current; write refused`);
    this.name = 'FencedError';
  }
}

/**
 * Named leases in the database. Acquisition and renewal are single conditional statements on the
 * database clock; every acquisition takes a strictly higher fencing token. Writes made under a
 * lease check the token in their own transaction (`fence`), holding the lease row lock until they
 * commit, so a paused or partitioned ex-holder cannot write after someone else took over.
 */
export class LeaseStore {
  constructor(private readonly db: Database) {}

  /** Takes the lease if it is free, expired, or was ours; returns its new token, or undefined. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.db.dialect.nowMs;
    const rows = await this.db.query<{ token: number }>(
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

  /** Extends a lease we hold; false when the token is no longer current (the write was fenced off). */
  async renew(lease: Lease, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.db.dialect.nowMs;
    const n = await this.db.exec(
      `UPDATE leases SET expires_at = ${now} + ? WHERE name = ? AND holder = ? AND token = ? AND expires_at >= ${now}`,
      [ttlMs, lease.name, holder, lease.token],
    );
    return n === 1;
  }

  async release(lease: Lease, holder: string): Promise<void> {
    await this.db.exec('UPDATE leases SET holder = NULL, expires_at = 0 WHERE name = ? AND holder = ? AND token = ?', [lease.name, holder, lease.token]);
  }

  /** Inside a transaction: throws FencedError unless the lease is still ours and unexpired; locks it until commit. */
  async fence(tx: Queryable, lease: Lease, holder: string): Promise<void> {
    const rows = await tx.query(
      `SELECT token FROM leases WHERE name = ? AND holder = ? AND token = ? AND expires_at >= ${this.db.dialect.nowMs} ${this.db.dialect.forUpdate}`,
      [lease.name, holder, lease.token],
    );
    if (rows.length === 0) throw new FencedError(lease);
  }

  async list(): Promise<LeaseInfo[]> {
    const now = this.db.dialect.nowMs;
    const rows = await this.db.query<{ name: string; holder: string | null; token: number; expires_at: number; left: number }>(
      `SELECT name, holder, token, expires_at, expires_at - ${now} AS left FROM leases ORDER BY name`,
    );
    return rows.map((r) => ({
      name: r.name, holder: Number(r.left) >= 0 ? r.holder : null, token: Number(r.token),
      expiresAt: new Date(Number(r.expires_at)).toISOString(), expiresInMs: Number(r.left),
    }));
  }
}
