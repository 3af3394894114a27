import { checkpointMessage } from './checkpoint.ts';
import type { CheckpointKey } from './checkpoint-key.ts';
import type { LastCheckpoint } from './checkpoint-verify.ts';
import type { AuditRecordJson } from './wire.ts';

/** What a sink's copy proves: per node, the latest checkpoint in it whose signature verified. */
export interface SinkCopy {
  anchors: Map<string, LastCheckpoint>;
  /** Checkpoint records in the copy that did not verify under the key (ignored). */
  rejected: number;
  /** Lines that held no record. */
  unreadable: number;
}

const BOM = '\u{FEFF}';

/** The records of one line: a record (a syslog MSG, with or without its RFC 5424 header) or a webhook body `{"records": [...]}`. */
function recordsOf(line: string): AuditRecordJson[] | undefined {
  const at = line.indexOf(`${BOM}{`);
  try {
    const value = JSON.parse(at >= 0 ? line.slice(at + 1) : line) as unknown;
    if (Array.isArray(value)) return value as AuditRecordJson[];
    const body = value as { records?: unknown; nodeId?: unknown };
    if (Array.isArray(body.records)) return body.records as AuditRecordJson[];
    return typeof body.nodeId === 'string' ? [value as AuditRecordJson] : undefined;
  } catch {
    return undefined;
  }
}

function verified(r: AuditRecordJson, key: CheckpointKey): LastCheckpoint | undefined {
  const d = r.details as Partial<{ seq: number; hash: string; keyId: string; signature: string }> | null;
  if (d === null || typeof d !== 'object' || !Number.isSafeInteger(d.seq) || typeof d.hash !== 'string' || typeof d.signature !== 'string') return undefined;
  if (d.keyId !== key.keyId || !Number.isSafeInteger(r.timeMs) || !Number.isSafeInteger(r.seq)) return undefined;
  const ok = key.verify(checkpointMessage(r.nodeId, d.seq as number, d.hash, r.timeMs), d.signature);
  return ok ? { seq: d.seq as number, recordSeq: r.seq, time: r.timeMs, hash: d.hash } : undefined;
}

/**
 * Reads records as a sink received them (one JSON record or webhook body per line, or a syslog
 * line whose MSG is the record) and keeps, per node, the latest checkpoint signed by `key`. The
 * copy lives outside the database, so a checkpoint in it bounds what a database-only attacker can
 * cut: the chain must still reach it, with the hash it signed.
 */
export function readSinkCopy(text: string, key: CheckpointKey): SinkCopy {
  const copy: SinkCopy = { anchors: new Map(), rejected: 0, unreadable: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const records = recordsOf(line);
    if (records === undefined) {
      copy.unreadable += 1;
      continue;
    }
    for (const r of records) {
      if (r.action !== 'audit.checkpoint' || typeof r.nodeId !== 'string') continue;
      const cp = verified(r, key);
      if (cp === undefined) copy.rejected += 1;
      else if (cp.seq > (copy.anchors.get(r.nodeId)?.seq ?? 0)) copy.anchors.set(r.nodeId, cp);
    }
  }
  return copy;
}
