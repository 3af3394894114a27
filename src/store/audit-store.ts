import type { AuditAction, AuditRecord } from '../audit/chain.ts';
import { CHECKPOINT_KEY_SETTING } from '../audit/checkpoint-key.ts';
import type { AuditChainStore, AuditFilter, AuditReadStore, ChainHead, CheckpointKeyStore, LockedHead } from '../audit/store.ts';
import { fromRecord, RECORD_COLS, toRecord, type AuditRow } from './audit-rows.ts';
import type { Database, Queryable } from './db.ts';
import { getOrCreateSetting, getSetting } from './settings.ts';

/** AuditChainStore over SQL. Bound to a caller's transaction (`q`), it appends in that transaction. */
export class SqlAuditChainStore implements AuditChainStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db) {}

  transaction<T>(fn: (store: AuditChainStore) => Promise<T>): Promise<T> {
    // Already in the caller's transaction: join it, so the record commits or rolls back with the caller's change.
    if (this.q !== this.db) return fn(this);
    return this.db.transaction((tx) => fn(new SqlAuditChainStore(this.db, tx)));
  }

  async lockHead(nodeId: string, genesis: string): Promise<LockedHead> {
    const { nowMs, forUpdate } = this.db.dialect;
    const select = `SELECT seq, hash, ${nowMs} AS now FROM audit_heads WHERE node_id = ? ${forUpdate}`;
    let rows = await this.q.query<{ seq: number; hash: string; now: number }>(select, [nodeId]);
    if (rows.length === 0) {
      await this.q.exec('INSERT INTO audit_heads (node_id, seq, hash, updated_at) VALUES (?, 0, ?, 0) ON CONFLICT DO NOTHING', [nodeId, genesis]);
      rows = await this.q.query(select, [nodeId]);
    }
    const row = rows[0];
    if (!row) throw new Error(`the audit head of node ${nodeId} could not be created`);
    return { seq: Number(row.seq), hash: row.hash, now: Number(row.now) };
  }

  async append(record: AuditRecord, prevSeq: number): Promise<boolean> {
    await this.q.exec(`INSERT INTO audit_records (${RECORD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, fromRecord(record));
    const moved = await this.q.exec(
      'UPDATE audit_heads SET seq = ?, hash = ?, updated_at = ? WHERE node_id = ? AND seq = ?', [record.seq, record.hash, record.time, record.nodeId, prevSeq],
    );
    return moved === 1;
  }

  async actionAt(nodeId: string, seq: number): Promise<string | undefined> {
    const rows = await this.q.query<{ action: string }>('SELECT action FROM audit_records WHERE node_id = ? AND seq = ?', [nodeId, seq]);
    return rows[0]?.action;
  }

  async latest(nodeId: string, action: AuditAction): Promise<AuditRecord | undefined> {
    const rows = await this.q.query<AuditRow>(`SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? AND action = ? ORDER BY seq DESC LIMIT 1`, [nodeId, action]);
    return rows[0] && toRecord(rows[0]);
  }
}

/**
 * The audit chain bound to `q`: what a Sql*Store's `audit(event)` hands the AuditRecorder, so the
 * record commits in the store's transaction (`q` a Transaction) or in one of its own (`q` the Database).
 */
export function auditChainOn(db: Database, q: Queryable): AuditChainStore {
  return new SqlAuditChainStore(db, q);
}

/** AuditReadStore over SQL. */
export class SqlAuditReadStore implements AuditReadStore {
  constructor(db: Database, private readonly q: Queryable = db) {}

  async heads(): Promise<Map<string, ChainHead>> {
    const rows = await this.q.query<{ node_id: string; seq: number; hash: string }>('SELECT node_id, seq, hash FROM audit_heads');
    return new Map(rows.map((r) => [r.node_id, { seq: Number(r.seq), hash: r.hash }]));
  }

  async headSeq(nodeId: string): Promise<number | undefined> {
    const rows = await this.q.query<{ seq: number }>('SELECT seq FROM audit_heads WHERE node_id = ?', [nodeId]);
    return rows[0] === undefined ? undefined : Number(rows[0].seq);
  }

  async nodesWithRecords(): Promise<string[]> {
    return (await this.q.query<{ node_id: string }>('SELECT DISTINCT node_id FROM audit_records')).map((r) => r.node_id);
  }

  async records(nodeId: string, after: number, upTo: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.q.query<AuditRow>(
      `SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, [nodeId, after, upTo, limit],
    );
    return rows.map(toRecord);
  }

  async hashAt(nodeId: string, seq: number): Promise<string | undefined> {
    const rows = await this.q.query<{ hash: string }>('SELECT hash FROM audit_records WHERE node_id = ? AND seq = ?', [nodeId, seq]);
    return rows[0]?.hash;
  }

  async recordWithHash(nodeId: string, hash: string): Promise<AuditRecord | undefined> {
    const rows = await this.q.query<AuditRow>(`SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? AND hash = ?`, [nodeId, hash]);
    return rows[0] && toRecord(rows[0]);
  }

  async countOtherThan(nodeId: string, after: number, upTo: number, action: AuditAction): Promise<number> {
    const rows = await this.q.query<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM audit_records WHERE node_id = ? AND seq > ? AND seq <= ? AND action <> ?', [nodeId, after, upTo, action],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async firstAfter(nodeId: string, seq: number): Promise<number | undefined> {
    const rows = await this.q.query<{ seq: number | null }>('SELECT MIN(seq) AS seq FROM audit_records WHERE node_id = ? AND seq > ?', [nodeId, seq]);
    const first = rows[0]?.seq;
    return first === null || first === undefined ? undefined : Number(first);
  }

  async list(filter: AuditFilter): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      params.push(value);
    };
    if (filter.since !== undefined) add('time >= ?', filter.since);
    if (filter.until !== undefined) add('time < ?', filter.until);
    if (filter.actor !== undefined) add('actor = ?', filter.actor);
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.object !== undefined) add('object = ?', filter.object);
    if (filter.nodeId !== undefined) add('node_id = ?', filter.nodeId);
    const rows = await this.q.query<AuditRow>(
      `SELECT ${RECORD_COLS} FROM audit_records ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, node_id, seq DESC LIMIT ?`,
      [...params, filter.limit],
    );
    return rows.map(toRecord);
  }
}

/** CheckpointKeyStore over the `settings` table. */
export class SqlCheckpointKeyStore implements CheckpointKeyStore {
  constructor(db: Database, private readonly q: Queryable = db) {}

  wrappedKey(): Promise<string | undefined> {
    return getSetting(this.q, CHECKPOINT_KEY_SETTING);
  }

  wrappedKeyOrCreate(create: () => string): Promise<string> {
    return getOrCreateSetting(this.q, CHECKPOINT_KEY_SETTING, create);
  }
}
