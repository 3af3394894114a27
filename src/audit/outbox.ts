import type { Database } from '../store/db.ts';
import { RECORD_COLS, toRecord, type AuditRecord, type AuditRow } from './chain.ts';

/**
 * Delivery state: one cursor per (sink, node chain) holding the last seq the sink acknowledged.
 * A node's records get dense seqs in commit order (the chain head is locked while appending), so
 * "everything up to seq N was delivered" is one number, and nothing committed later can fall
 * behind it. A cursor moves only after the sink acknowledged, hence at least once, never lost.
 */
export interface Cursor {
  sink: string;
  nodeId: string;
  /** Last delivered seq (0: none). */
  seq: number;
  attempts: number;
}

export interface CursorStatus extends Cursor {
  headSeq: number;
  lastError: string | null;
  nextAttemptAt: number;
  deliveredAt: number | null;
  claimedBy: string | null;
}

/** Not claimed, claimed by this node, or the claim lapsed. One `?`: this node. */
const claimable = (now: string, alias = ''): string => `(${alias}claimed_by IS NULL OR ${alias}claimed_by = ? OR ${alias}claim_expires_at < ${now})`;

/** SQL for the cursors; claims and backoff use the database clock so nodes with skewed clocks agree. */
export class AuditOutbox {
  private readonly now: string;

  constructor(private readonly db: Database, private readonly owner: string, private readonly claimMs: number) {
    this.now = db.dialect.nowMs;
  }

  /** Starts a cursor at 0 for every chain the sink has none for: a new sink receives the whole history. */
  async ensureCursors(sink: string): Promise<void> {
    const missing = await this.db.query<{ node_id: string }>(
      'SELECT h.node_id FROM audit_heads h LEFT JOIN audit_cursors c ON c.node_id = h.node_id AND c.sink = ? WHERE c.node_id IS NULL', [sink],
    );
    for (const { node_id } of missing) {
      await this.db.exec('INSERT INTO audit_cursors (sink, node_id, seq, attempts, next_attempt_at) VALUES (?, ?, 0, 0, 0) ON CONFLICT DO NOTHING', [sink, node_id]);
    }
  }

  /** Cursors of `sink` behind their chain's head, due for an attempt, and not claimed by another node. */
  async due(sink: string): Promise<Cursor[]> {
    const rows = await this.db.query<{ sink: string; node_id: string; seq: number; attempts: number }>(
      `SELECT c.sink, c.node_id, c.seq, c.attempts FROM audit_cursors c JOIN audit_heads h ON h.node_id = c.node_id
       WHERE c.sink = ? AND h.seq > c.seq AND c.next_attempt_at <= ${this.now} AND ${claimable(this.now, 'c.')}
       ORDER BY c.next_attempt_at`,
      [sink, this.owner],
    );
    return rows.map((r) => ({ sink: r.sink, nodeId: r.node_id, seq: Number(r.seq), attempts: Number(r.attempts) }));
  }

  /** Takes the cursor for this node until the claim lapses; false if another node holds it or it moved. */
  async claim(c: Cursor): Promise<boolean> {
    const n = await this.db.exec(
      `UPDATE audit_cursors SET claimed_by = ?, claim_expires_at = ${this.now} + ? WHERE sink = ? AND node_id = ? AND seq = ? AND ${claimable(this.now)}`,
      [this.owner, this.claimMs, c.sink, c.nodeId, c.seq, this.owner],
    );
    return n === 1;
  }

  async batch(c: Cursor, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db.query<AuditRow>(
      `SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? AND seq > ? ORDER BY seq LIMIT ?`, [c.nodeId, c.seq, limit],
    );
    return rows.map(toRecord);
  }

  /** Records the acknowledgement of everything up to `toSeq` and extends the claim; false if the claim was lost. */
  async advance(c: Cursor, toSeq: number): Promise<boolean> {
    const n = await this.db.exec(
      `UPDATE audit_cursors SET seq = ?, attempts = 0, next_attempt_at = 0, last_error = NULL, delivered_at = ${this.now}, claim_expires_at = ${this.now} + ?
       WHERE sink = ? AND node_id = ? AND seq = ? AND claimed_by = ?`,
      [toSeq, this.claimMs, c.sink, c.nodeId, c.seq, this.owner],
    );
    return n === 1;
  }

  async release(c: Cursor): Promise<void> {
    await this.db.exec('UPDATE audit_cursors SET claimed_by = NULL, claim_expires_at = NULL WHERE sink = ? AND node_id = ? AND claimed_by = ?', [c.sink, c.nodeId, this.owner]);
  }

  /** Counts a failed attempt, schedules the next one `delayMs` from now, and releases the claim. */
  async fail(c: Cursor, delayMs: number, error: string): Promise<void> {
    await this.db.exec(
      `UPDATE audit_cursors SET attempts = attempts + 1, next_attempt_at = ${this.now} + ?, last_error = ?, claimed_by = NULL, claim_expires_at = NULL
       WHERE sink = ? AND node_id = ? AND claimed_by = ?`,
      [delayMs, error.slice(0, 500), c.sink, c.nodeId, this.owner],
    );
  }
}

/** Every cursor with its backlog, for `certainty audit sinks`. */
export async function cursorStatus(db: Database): Promise<CursorStatus[]> {
  const rows = await db.query<{
    sink: string; node_id: string; seq: number; attempts: number; head: number; last_error: string | null; next_attempt_at: number;
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
