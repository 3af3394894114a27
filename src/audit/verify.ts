import { genesisHash, hashRecord, type AuditRecord } from './chain.ts';
import { CHECKPOINT_ACTION } from './checkpoint.ts';
import type { CheckpointKey } from './checkpoint-key.ts';
import { checkAnchor, CheckpointChecker, type LastCheckpoint } from './checkpoint-verify.ts';
import type { AuditReadStore, ChainHead } from './store.ts';

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

interface ChainProblem {
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
export async function verifyChains(store: AuditReadStore, options: VerifyOptions): Promise<VerifyReport> {
  const start = await store.heads();
  const nodes = [...new Set([...start.keys(), ...(await store.nodesWithRecords()), ...(options.anchors?.keys() ?? [])])]
    .filter((n) => options.nodeId === undefined || n === options.nodeId)
    .sort();
  const chains: ChainReport[] = [];
  for (const nodeId of nodes) chains.push(await verifyChain(store, nodeId, start.get(nodeId), options.key, options.anchors?.get(nodeId)));
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

async function verifyChain(store: AuditReadStore, nodeId: string, head: ChainHead | undefined, key: CheckpointKey | undefined, anchor: LastCheckpoint | undefined): Promise<ChainReport> {
  const found = new Findings();
  const report = (kind: ChainProblemKind, seq: number, message: string): void => found.add(kind, seq, message);
  const checkpoints = new CheckpointChecker(store, key, report);
  const upTo = head?.seq ?? Number.MAX_SAFE_INTEGER;
  let prev: AuditRecord | undefined;
  let prevIntact = true;
  let count = 0;
  for (let after = 0; ;) {
    const page = await store.records(nodeId, after, upTo, PAGE);
    for (const rec of page) {
      const intact = await checkRecord(store, found, rec, prev, prevIntact);
      if (intact && rec.action === CHECKPOINT_ACTION) await checkpoints.check(rec, prev);
      prevIntact = intact;
      prev = rec;
      count += 1;
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) break;
    after = last.seq;
  }
  await checkHead(store, found, nodeId, head, prev);
  if (anchor !== undefined) await checkAnchor(store, nodeId, anchor, prev?.seq ?? 0, report);
  const last = checkpoints.last;
  return {
    nodeId, records: count, headSeq: head?.seq ?? null, lastSeq: prev?.seq ?? null, checkpoint: last ?? null,
    unsigned: await store.countOtherThan(nodeId, last?.seq ?? 0, prev?.seq ?? 0, CHECKPOINT_ACTION), intact: found.list.length === 0, problems: found.list, moreProblems: found.more,
  };
}

/** Checks one record against itself and its predecessor; returns whether it is intact. */
async function checkRecord(store: AuditReadStore, found: Findings, rec: AuditRecord, prev: AuditRecord | undefined, prevIntact: boolean): Promise<boolean> {
  const expected = (prev?.seq ?? 0) + 1;
  if (rec.seq > expected) {
    found.add('missing', expected, `${span(expected, rec.seq - 1)} deleted`);
  }
  if (hashRecord(rec) !== rec.hash) {
    const original = await writtenAt(store, rec);
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
async function writtenAt(store: AuditReadStore, rec: AuditRecord, depth = 0): Promise<number | undefined> {
  let candidate: number | undefined;
  if (rec.prevHash === genesisHash(rec.nodeId)) candidate = 1;
  else if (depth < MAX_TRACE) {
    const before = await store.recordWithHash(rec.nodeId, rec.prevHash);
    const beforeAt = before === undefined ? undefined : hashRecord(before) === before.hash ? before.seq : await writtenAt(store, before, depth + 1);
    candidate = beforeAt === undefined ? undefined : beforeAt + 1;
  }
  return candidate !== undefined && hashRecord({ ...rec, seq: candidate }) === rec.hash ? candidate : undefined;
}

async function checkHead(store: AuditReadStore, found: Findings, nodeId: string, head: ChainHead | undefined, last: AuditRecord | undefined): Promise<void> {
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
  const now = (await store.headSeq(nodeId)) ?? head.seq;
  const first = await store.firstAfter(nodeId, now);
  if (first !== undefined) found.add('beyond-head', first, `record ${first} and later lie beyond the head (${now}): written outside the audit log`);
}
