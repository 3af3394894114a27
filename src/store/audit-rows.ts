import type { AuditAction, AuditOutcome, AuditRecord } from '../audit/chain.ts';

/** An `audit_records` row as both dialects return it. */
export interface AuditRow {
  node_id: string;
  seq: number | string;
  time: number | string;
  actor: string;
  action: string;
  object: string;
  outcome: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export const RECORD_COLS = 'node_id, seq, time, actor, action, object, outcome, details, prev_hash, hash';

export function toRecord(r: AuditRow): AuditRecord {
  return {
    nodeId: r.node_id, seq: Number(r.seq), time: Number(r.time), actor: r.actor, action: r.action as AuditAction, object: r.object,
    outcome: r.outcome as AuditOutcome, details: r.details, prevHash: r.prev_hash, hash: r.hash,
  };
}

/** The parameters of an INSERT of RECORD_COLS. */
export function fromRecord(r: AuditRecord): unknown[] {
  return [r.nodeId, r.seq, r.time, r.actor, r.action, r.object, r.outcome, r.details, r.prevHash, r.hash];
}
