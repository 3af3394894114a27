import type { Queryable } from '../store/db.ts';
import { genesisHash, hashRecord, RECORD_COLS, toRecord, type AuditRecord, type AuditRow } from './chain.ts';
import { CHECKPOINT_ACTION } from './checkpoint.ts';
import type { CheckpointKey } from './checkpoint-key.ts';
import { checkAnchor, CheckpointChecker, type LastCheckpoint } from './checkpoint-verify.ts';

export type ChainProblemKind =
  /** The record's content does not match its own hash. */
  | 'edited'
  /** The record is intact but sits at another seq than the one it was written at (reordered or swapped). */
  | 'moved'
  /** Seqs are missing between two records (deleted). */
  | 'missing'
  /** The record's prev_hash is not the previous record's hash: the previous one was rewritten and re-hashed, or this one replaced. */
  | 'relinked'
  /** The chain ends before its head, or before a checkpoint a sink's copy holds: the tail was deleted. */
  | 'truncated'
  /** The last record is not the one the head names. */
  | 'head-mismatch'
  /** Records exist but the node has no head row. */
  | 'no-head'
  /** Records beyond the head (written outside the audit log). */
  | 'beyond-head'
  /** Records a signed checkpoint covers no longer hash to what it signed: rewritten (hashes and head recomputed) after it. */
  | 'rewritten'
  /** A checkpoint whose signature does not verify under the cluster's key. */
  | 'bad-signature'
  /** A checkpoint signed by another key than the cluster's (or no key is known). */
  | 'foreign-key';

export interface ChainProblem {
  kind: ChainProblemKind;
  /** The seq where the problem shows. */
  seq: number;
  message: string;
}

export interface ChainReport {
  nodeId: string;
  /** Records examined (up to the head read at the start). */
  records: number;
  headSeq: number | null;
  lastSeq: number | null;
  /** The last checkpoint whose signature verified; null when the chain has none. */
  checkpoint: LastCheckpoint | null;
  /**
   * Records after the seq the last checkpoint signed (checkpoint records left out): nothing but
   * the sinks' copies protects these against a rewrite by someone with database write access.
   */
  unsigned: number;
  intact: boolean;
  problems: ChainProblem[];
  /** Problems beyond the reporting cap, counted only. */
  moreProblems: number;
}

export interface VerifyReport {
  intact: boolean;
  /** The key checkpoints were checked against (CheckpointKey.keyId); null when none is known. */
  checkpointKey: string | null;
  chains: ChainReport[];
}

const PAGE = 1000;
const MAX_PROBLEMS = 100;
const MAX_TRACE = 16;

interface Head {
  seq: number;
  hash: string;
}

async function heads(q: Queryable): Promise<Map<string, Head>> {
  const rows = await q.query<{ node_id: string; seq: number; hash: string }>('SELECT node_id, seq, hash FROM audit_heads');
  return new Map(rows.map((r) => [r.node_id, { seq: Number(r.seq), hash: r.hash }]));
}

export interface VerifyOptions {
  nodeId?: string;
  /** The cluster's checkpoint key (storedCheckpointKey) or one given out of band; without it every checkpoint is reported. */
  key: CheckpointKey | undefined;
  /** Per node, the latest checkpoint a sink's copy holds (readSinkCopy): the chain must still reach it unchanged. */
  anchors?: ReadonlyMap<string, LastCheckpoint>;
}

/**
 * Walks every node's chain and reports exactly where each one breaks, and checks its signed
 * checkpoints. Safe while nodes keep appending: each chain is checked up to the head read at the
 * start (records and head move in one transaction), and anything beyond the head read at the end
 * is reported.
 */
export async function verifyChains(q: Queryable, options: VerifyOptions): Promise<VerifyReport> {
  const start = await heads(q);
  const withRecords = await q.query<{ node_id: string }>('SELECT DISTINCT node_id FROM audit_records');
  const nodes = [...new Set([...start.keys(), ...withRecords.map((r) => r.node_id), ...(options.anchors?.keys() ?? [])])]
    .filter((n) => options.nodeId === undefined || n === options.nodeId)
    .sort();
  const chains: ChainReport[] = [];
  for (const nodeId of nodes) chains.push(await verifyChain(q, nodeId, start.get(nodeId), options.key, options.anchors?.get(nodeId)));
  return { intact: chains.every((c) => c.intact), checkpointKey: options.key?.keyId ?? null, chains };
}

/** "record 5 was" or "records 5–7 were". */
function span(from: number, to: number): string {
  return from === to ? `record ${from} was` : `records ${from}–${to} were`;
}

class Findings {
  readonly list: ChainProblem[] = [];
  more = 0;

  add(kind: ChainProblemKind, seq: number, message: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ kind, seq, message });
    else this.more += 1;
  }
}

async function verifyChain(q: Queryable, nodeId: string, head: Head | undefined, key: CheckpointKey | undefined, anchor: LastCheckpoint | undefined): Promise<ChainReport> {
  const found = new Findings();
  const report = (kind: ChainProblemKind, seq: number, message: string): void => found.add(kind, seq, message);
  const checkpoints = new CheckpointChecker(q, key, report);
  const upTo = head?.seq ?? Number.MAX_SAFE_INTEGER;
  let prev: AuditRecord | undefined;
  let prevIntact = true;
  let count = 0;
  for (let after = 0; ;) {
    const page = (await q.query<AuditRow>(
      `SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, [nodeId, after, upTo, PAGE],
    )).map(toRecord);
    for (const rec of page) {
      const intact = await checkRecord(q, found, rec, prev, prevIntact);
      if (intact && rec.action === CHECKPOINT_ACTION) await checkpoints.check(rec, prev);
      prevIntact = intact;
      prev = rec;
      count += 1;
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) break;
    after = last.seq;
  }
  await checkHead(q, found, nodeId, head, prev);
  if (anchor !== undefined) await checkAnchor(q, nodeId, anchor, prev?.seq ?? 0, report);
  const last = checkpoints.last;
  return {
    nodeId, records: count, headSeq: head?.seq ?? null, lastSeq: prev?.seq ?? null, checkpoint: last ?? null,
    unsigned: await unsignedAfter(q, nodeId, last?.seq ?? 0, prev?.seq ?? 0), intact: found.list.length === 0, problems: found.list, moreProblems: found.more,
  };
}

/** Records in (after, upTo] other than checkpoints: those no checkpoint signed yet. */
async function unsignedAfter(q: Queryable, nodeId: string, after: number, upTo: number): Promise<number> {
  const rows = await q.query<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM audit_records WHERE node_id = ? AND seq > ? AND seq <= ? AND action <> ?', [nodeId, after, upTo, CHECKPOINT_ACTION],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Checks one record against itself and its predecessor; returns whether it is intact. */
async function checkRecord(q: Queryable, found: Findings, rec: AuditRecord, prev: AuditRecord | undefined, prevIntact: boolean): Promise<boolean> {
  const expected = (prev?.seq ?? 0) + 1;
  if (rec.seq > expected) {
    found.add('missing', expected, `${span(expected, rec.seq - 1)} deleted`);
  }
  if (hashRecord(rec) !== rec.hash) {
    const original = await writtenAt(q, rec);
    if (original !== undefined && original !== rec.seq) found.add('moved', rec.seq, `record ${rec.seq} is intact but was written as record ${original} (reordered or swapped)`);
    else found.add('edited', rec.seq, `record ${rec.seq} does not match its hash (a field was edited)`);
    return false;
  }
  // A link is only judged between two neighbours that are both intact and adjacent.
  const linkable = rec.seq === expected && prevIntact;
  const prevHash = prev?.hash ?? genesisHash(rec.nodeId);
  if (linkable && rec.prevHash !== prevHash) {
    const before = rec.seq - 1;
    found.add('relinked', rec.seq, before === 0
      ? `record 1 does not start from this node's genesis hash (replaced)`
      : `record ${rec.seq} does not link to record ${before}: record ${before} was rewritten and re-hashed, or record ${rec.seq} replaced`);
  }
  return true;
}

/**
 * The seq a record was written at, if it can be traced: its predecessor is the record whose hash
 * is its prev_hash, and that one's own position is traced the same way (bounded depth).
 */
async function writtenAt(q: Queryable, rec: AuditRecord, depth = 0): Promise<number | undefined> {
  let candidate: number | undefined;
  if (rec.prevHash === genesisHash(rec.nodeId)) candidate = 1;
  else if (depth < MAX_TRACE) {
    const rows = await q.query<AuditRow>(`SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? AND hash = ?`, [rec.nodeId, rec.prevHash]);
    const before = rows[0] && toRecord(rows[0]);
    const beforeAt = before === undefined ? undefined : hashRecord(before) === before.hash ? before.seq : await writtenAt(q, before, depth + 1);
    candidate = beforeAt === undefined ? undefined : beforeAt + 1;
  }
  return candidate !== undefined && hashRecord({ ...rec, seq: candidate }) === rec.hash ? candidate : undefined;
}

async function checkHead(q: Queryable, found: Findings, nodeId: string, head: Head | undefined, last: AuditRecord | undefined): Promise<void> {
  if (head === undefined) {
    if (last !== undefined) found.add('no-head', last.seq, `node ${nodeId} has records but no head row (audit_heads was edited)`);
    return;
  }
  const lastSeq = last?.seq ?? 0;
  if (lastSeq < head.seq) {
    found.add('truncated', lastSeq + 1, `the chain ends at record ${lastSeq} but its head is record ${head.seq}: ${span(lastSeq + 1, head.seq)} deleted`);
  } else if (last !== undefined && last.hash !== head.hash) {
    found.add('head-mismatch', last.seq, `record ${last.seq} is not the record the head names (it was replaced)`);
  }
  const current = await q.query<{ seq: number }>('SELECT seq FROM audit_heads WHERE node_id = ?', [nodeId]);
  const now = Number(current[0]?.seq ?? head.seq);
  const beyond = await q.query<{ seq: number }>('SELECT MIN(seq) AS seq FROM audit_records WHERE node_id = ? AND seq > ?', [nodeId, now]);
  const first = beyond[0]?.seq;
  if (first !== null && first !== undefined) found.add('beyond-head', Number(first), `record ${Number(first)} and later lie beyond the head (${now}): written outside the audit log`);
}
