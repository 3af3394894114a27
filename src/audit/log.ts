import type { Database, Dialect, Queryable } from '../store/db.ts';
import { ConflictError } from '../store/db.ts';
import {
  canonicalJson, fromRecord, genesisHash, hashRecord, isAuditAction, RECORD_COLS, type AuditAction, type AuditOutcome, type AuditRecord,
} from './chain.ts';

/** What happened, as a caller describes it. Details must never hold secrets (keys, tokens, HMAC keys); ids are fine. */
export interface AuditEvent {
  /** Who: `account:<id>`, `cli:<user>`, `admin-api`, `node:<id>`, `certificate-key`. */
  actor: string;
  action: AuditAction;
  /** What it was done to: `account:<id>`, `certificate:<serial>`, `order:<id>`, `eab:<kid>`, `token:<id>`, `lease:<name>`. */
  object: string;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

/** The narrow interface use cases depend on. */
export interface AuditRecorder {
  /**
   * Appends `event` to this node's chain. Given the caller's open transaction, the record commits
   * with the change it describes or not at all; given the Database itself, or nothing, it is
   * appended in a transaction of its own.
   */
  record(q: Queryable | undefined, event: AuditEvent): Promise<void>;
}

/** A recorder and who it records for: what the admin services take (`cli:<user>` or `admin-api`). */
export interface AuditActor {
  recorder: AuditRecorder;
  actor: string;
}

/** Records `event` as `audit.actor`; nothing when the caller was built without an audit log. */
export async function recordAs(audit: AuditActor | undefined, q: Queryable, event: Omit<AuditEvent, 'actor'>): Promise<void> {
  if (audit !== undefined) await audit.recorder.record(q, { ...event, actor: audit.actor });
}

const MAX_TEXT = 256;
const MAX_DETAILS = 4096;
/** Detail keys that would hold a secret; a record carrying one is a bug, refused loudly. */
const SECRET_KEY = /secret|password|passphrase|hmac|private|jwk|credential|authorization|^token$|^key$/i;
/** Values shaped like an admin bearer token (src/admin/tokens.ts). */
const SECRET_VALUE = /^cty_[0-9a-f]{12}_/;

function checkDetails(value: unknown, path: string): void {
  if (typeof value === 'string' && SECRET_VALUE.test(value)) throw new Error(`audit details ${path} holds an admin token; record its id instead`);
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (!Array.isArray(value) && SECRET_KEY.test(key)) throw new Error(`audit details must not carry secrets: remove "${path}.${key}" (record an id or a thumbprint instead)`);
    checkDetails(inner, `${path}.${key}`);
  }
}

/** Validates an event and returns its canonical details text. */
function checkEvent(event: AuditEvent): string {
  if (!isAuditAction(event.action)) throw new Error(`unknown audit action "${String(event.action)}"; add it to AUDIT_ACTIONS in src/audit/chain.ts`);
  for (const field of ['actor', 'object'] as const) {
    const v = event[field];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) throw new Error(`audit ${field} must be 1 to ${MAX_TEXT} characters`);
  }
  if (event.outcome !== 'success' && event.outcome !== 'failure') throw new Error('audit outcome must be "success" or "failure"');
  checkDetails(event.details ?? {}, 'details');
  const details = canonicalJson(event.details ?? {});
  if (details.length > MAX_DETAILS) throw new Error(`audit details are ${details.length} characters; keep them under ${MAX_DETAILS}`);
  return details;
}

function isDatabase(q: Queryable): q is Database {
  return typeof (q as Partial<Database>).transaction === 'function';
}

/** A node's chain head, read under its row lock, with the database clock at that moment. */
export interface Head {
  seq: number;
  hash: string;
  now: number;
}

/**
 * Reads this node's chain head and holds its row lock until the transaction ends, creating the
 * head on the node's first record. Only this node's appends wait on it: no cross-node contention.
 */
export async function lockHead(q: Queryable, dialect: Dialect, nodeId: string): Promise<Head> {
  const select = `SELECT seq, hash, ${dialect.nowMs} AS now FROM audit_heads WHERE node_id = ? ${dialect.forUpdate}`;
  let rows = await q.query<{ seq: number; hash: string; now: number }>(select, [nodeId]);
  if (rows.length === 0) {
    await q.exec('INSERT INTO audit_heads (node_id, seq, hash, updated_at) VALUES (?, 0, ?, 0) ON CONFLICT DO NOTHING', [nodeId, genesisHash(nodeId)]);
    rows = await q.query(select, [nodeId]);
  }
  const row = rows[0];
  if (!row) throw new Error(`the audit head of node ${nodeId} could not be created`);
  return { seq: Number(row.seq), hash: row.hash, now: Number(row.now) };
}

/** Appends one record inside `tx`: next seq, previous hash, database time; head moved in the same transaction. */
async function appendRecord(tx: Queryable, dialect: Dialect, nodeId: string, event: AuditEvent): Promise<AuditRecord> {
  checkEvent(event);
  return appendAfter(tx, nodeId, await lockHead(tx, dialect, nodeId), event);
}

/** Appends `event` after `head`, which the caller locked in `tx` (lockHead); its time is the head's `now`. */
export async function appendAfter(tx: Queryable, nodeId: string, head: Head, event: AuditEvent): Promise<AuditRecord> {
  const details = checkEvent(event);
  const unsigned = {
    nodeId, seq: head.seq + 1, time: head.now, actor: event.actor, action: event.action, object: event.object,
    outcome: event.outcome, details, prevHash: head.hash,
  };
  const record: AuditRecord = { ...unsigned, hash: hashRecord(unsigned) };
  await tx.exec(`INSERT INTO audit_records (${RECORD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, fromRecord(record));
  const moved = await tx.exec('UPDATE audit_heads SET seq = ?, hash = ?, updated_at = ? WHERE node_id = ? AND seq = ?', [record.seq, record.hash, record.time, nodeId, head.seq]);
  if (moved !== 1) throw new ConflictError(`audit chain head of node ${nodeId}`);
  return record;
}

/** This node's audit chain in the shared database. */
export class AuditLog implements AuditRecorder {
  constructor(private readonly db: Database, readonly nodeId: string) {}

  async record(q: Queryable | undefined, event: AuditEvent): Promise<void> {
    if (q === undefined || isDatabase(q)) {
      const db = q ?? this.db;
      await db.transaction((tx) => appendRecord(tx, db.dialect, this.nodeId, event));
      return;
    }
    await appendRecord(q, this.db.dialect, this.nodeId, event);
  }
}
