import type { AuditRecord } from '../audit/chain.ts';
import type { AuditOutboxStore, Claimant, Cursor, CursorStatus } from '../audit/store.ts';
import { RECORD_COLS, toRecord, type AuditRow } from './audit-rows.ts';
import type { Database, Queryable } from './db.ts';

/** Not claimed, claimed by this owner, or the claim lapsed. One `?`: the owner. */
const claimable = (now: string, alias = ''): string => `(${alias}claimed_by IS NULL OR ${alias}claimed_by = ? OR ${alias}claim_expires_at < ${now})`;

/** AuditOutboxStore over the `audit_cursors` table; claims and backoff on the database clock. */
export class SqlAuditOutboxStore implements AuditOutboxStore {
  private readonly now: string;

  constructor(db: Database, private readonly q: Queryable = db) {
    this.now = db.dialect.nowMs;
  }

  async ensureCursors(sink: string): Promise<void> {
    const missing = await this.q.query<{ node_id: string }>(
      'SELECT h.node_id FROM audit_heads h LEFT JOIN audit_cursors c ON c.node_id = h.node_id AND c.sink = ? WHERE c.node_id IS NULL', [sink],
    );
    for (const { node_id } of missing) {
      await this.q.exec('INSERT INTO audit_cursors (sink, node_id, seq, attempts, next_attempt_at) VALUES (?, ?, 0, 0, 0) ON CONFLICT DO NOTHING', [sink, node_id]);
    }
  }

  async due(sink: string, by: Claimant): Promise<Cursor[]> {
    const rows = await this.q.query<{ sink: string; node_id: string; seq: number; attempts: number }>(
      `SELECT c.sink, c.node_id, c.seq, c.attempts FROM audit_cursors c JOIN audit_heads h ON h.node_id = c.node_id
       WHERE c.sink = ? AND h.seq > c.seq AND c.next_attempt_at <= ${this.now} AND ${claimable(this.now, 'c.')}
       ORDER BY c.next_attempt_at`,
      [sink, by.owner],
    );
    return rows.map((r) => ({ sink: r.sink, nodeId: r.node_id, seq: Number(r.seq), attempts: Number(r.attempts) }));
  }

  async claim(c: Cursor, by: Claimant): Promise<boolean> {
    const n = await this.q.exec(
      `UPDATE audit_cursors SET claimed_by = ?, claim_expires_at = ${this.now} + ? WHERE sink = ? AND node_id = ? AND seq = ? AND ${claimable(this.now)}`,
      [by.owner, by.claimMs, c.sink, c.nodeId, c.seq, by.owner],
    );
    return n === 1;
  }

  async batch(c: Cursor, limit: number): Promise<AuditRecord[]> {
    const rows = await this.q.query<AuditRow>(
      `SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? AND seq > ? ORDER BY seq LIMIT ?`, [c.nodeId, c.seq, limit],
    );
    return rows.map(toRecord);
  }

  async advance(c: Cursor, toSeq: number, by: Claimant): Promise<boolean> {
    const n = await this.q.exec(
      `UPDATE audit_cursors SET seq = ?, attempts = 0, next_attempt_at = 0, last_error = NULL, delivered_at = ${this.now}, claim_expires_at = ${this.now} + ?
       WHERE sink = ? AND node_id = ? AND seq = ? AND claimed_by = ?`,
      [toSeq, by.claimMs, c.sink, c.nodeId, c.seq, by.owner],
    );
    return n === 1;
  }

  async release(c: Cursor, by: Claimant): Promise<void> {
    await this.q.exec('UPDATE audit_cursors SET claimed_by = NULL, claim_expires_at = NULL WHERE sink = ? AND node_id = ? AND claimed_by = ?', [c.sink, c.nodeId, by.owner]);
  }

  async fail(c: Cursor, by: Claimant, delayMs: number, error: string): Promise<void> {
    await this.q.exec(
      `UPDATE audit_cursors SET attempts = attempts + 1, next_attempt_at = ${this.now} + ?, last_error = ?, claimed_by = NULL, claim_expires_at = NULL
       WHERE sink = ? AND node_id = ? AND claimed_by = ?`,
      [delayMs, error.slice(0, 500), c.sink, c.nodeId, by.owner],
    );
  }

  async cursors(): Promise<CursorStatus[]> {
    const rows = await this.q.query<{
      sink: string; node_id: string; seq: number; attempts: number; head: number | null; last_error: string | null; next_attempt_at: number;
      delivered_at: number | null; claimed_by: string | null;
    }>(
      `SELECT c.sink, c.node_id, c.seq, c.attempts, h.seq AS head, c.last_error, c.next_attempt_at, c.delivered_at, c.claimed_by
       FROM audit_cursors c LEFT JOIN audit_heads h ON h.node_id = c.node_id ORDER BY c.sink, c.node_id`,
    );
    return rows.map((r) => ({
      sink: r.sink, nodeId: r.node_id, seq: Number(r.seq), attempts: Number(r.attempts), headSeq: Number(r.head ?? 0), lastError: r.last_error,
      nextAttemptAt: Number(r.next_attempt_at), deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at), claimedBy: r.claimed_by,
    }));
  }
}
