import type { AuditRecord } from './chain.ts';

/** The JSON form of a record sent to sinks: every field the hash covers, so a receiver can re-verify the chain. */
export interface AuditRecordJson {
  nodeId: string;
  seq: number;
  time: string;
  timeMs: number;
  actor: string;
  action: string;
  object: string;
  outcome: string;
  details: unknown;
  prevHash: string;
  hash: string;
}

export function recordJson(r: AuditRecord): AuditRecordJson {
  return {
    nodeId: r.nodeId, seq: r.seq, time: isoTime(r.time) ?? String(r.time), timeMs: r.time, actor: r.actor, action: r.action,
    object: r.object, outcome: r.outcome, details: parseDetails(r.details), prevHash: r.prevHash, hash: r.hash,
  };
}

/** ISO 8601 for epoch ms; undefined for a value no date has (only an edited row holds one). */
export function isoTime(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The details object; a row edited into invalid JSON is passed on as its text (its hash no longer matches either). */
function parseDetails(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
