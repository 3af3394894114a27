import type { AuditRecord } from './chain.ts';
import { checkpointMessage, checkpointOf } from './checkpoint.ts';
import { CHECKPOINT_KEY_SETTING, type CheckpointKey } from './checkpoint-key.ts';
import type { AuditReadStore } from './store.ts';
import type { ChainProblemKind } from './verify.ts';
import { isoTime } from './wire.ts';

/** The last checkpoint of a chain whose signature verified. */
export interface LastCheckpoint {
  /** The seq it signed. */
  seq: number;
  /** The hash it signed. */
  hash: string;
  /** The seq of the `audit.checkpoint` record itself. */
  recordSeq: number;
  /** When it was signed (database clock, epoch ms). */
  time: number;
}

type Report = (kind: ChainProblemKind, seq: number, message: string) => void;

const short = (keyId: string): string => keyId.slice(0, 16);

/**
 * Checks a chain's `audit.checkpoint` records as verifyChain meets them, in seq order: each must
 * be signed by the cluster's key, and the record it signed must still carry the hash it signed.
 * The hash chain alone cannot show a rewrite whose author recomputed every hash and the head;
 * a signed checkpoint can, for everything up to the seq it signed.
 */
export class CheckpointChecker {
  last: LastCheckpoint | undefined;
  /** The seq signed by the last checkpoint whose record still matched: a rewrite lies after it. */
  private matched = 0;

  constructor(private readonly store: AuditReadStore, private readonly key: CheckpointKey | undefined, private readonly report: Report) {}

  /** `rec` is an intact `audit.checkpoint` record and `prev` the record walked before it. */
  async check(rec: AuditRecord, prev: AuditRecord | undefined): Promise<void> {
    const cp = checkpointOf(rec);
    if (cp === undefined) return this.report('bad-signature', rec.seq, `record ${rec.seq} is a checkpoint without a well-formed signature (forged)`);
    if (this.key === undefined) {
      return this.report('foreign-key', rec.seq, `checkpoint ${rec.seq} is signed by key ${short(cp.keyId)}…, but no checkpoint key is known: the database holds none (was its settings row ${CHECKPOINT_KEY_SETTING} deleted?); give the key with --public-key`);
    }
    if (cp.keyId !== this.key.keyId) {
      return this.report('foreign-key', rec.seq, `checkpoint ${rec.seq} is signed by key ${short(cp.keyId)}…, not by this cluster's key ${short(this.key.keyId)}… (forged)`);
    }
    if (!this.key.verify(checkpointMessage(rec.nodeId, cp.seq, cp.hash, rec.time), cp.signature)) {
      return this.report('bad-signature', rec.seq, `checkpoint ${rec.seq} does not verify under this cluster's key (forged, or its fields were altered)`);
    }
    this.last = { seq: cp.seq, hash: cp.hash, recordSeq: rec.seq, time: rec.time };
    const actual = prev?.seq === cp.seq ? prev.hash : await this.store.hashAt(rec.nodeId, cp.seq);
    if (actual === cp.hash) {
      this.matched = cp.seq;
      return undefined;
    }
    const when = isoTime(rec.time) ?? String(rec.time);
    const from = Math.min(this.matched + 1, cp.seq);
    const where = from === cp.seq ? `record ${cp.seq}` : `records ${from}–${cp.seq}`;
    this.report('rewritten', cp.seq, actual === undefined
      ? `record ${cp.seq}, signed by checkpoint ${rec.seq} at ${when}, is gone: the chain was cut and rebuilt after that checkpoint`
      : `record ${cp.seq} is not the record checkpoint ${rec.seq} signed at ${when}: the chain was rewritten after that checkpoint, within ${where}`);
    return undefined;
  }
}

/**
 * Checks a chain against the latest checkpoint a sink's copy holds for it (readSinkCopy): the
 * database must still hold the record it signed, with the hash it signed. This is what bounds a
 * truncation: the database's own last checkpoint can be cut away with the records after it.
 */
export async function checkAnchor(store: AuditReadStore, nodeId: string, anchor: LastCheckpoint, lastSeq: number, report: Report): Promise<void> {
  const when = isoTime(anchor.time) ?? String(anchor.time);
  if (lastSeq < anchor.seq) {
    report('truncated', lastSeq + 1, `the sink's copy holds checkpoint ${anchor.recordSeq}, signed at ${when} up to record ${anchor.seq}, but the chain ends at record ${lastSeq}: it was cut after that checkpoint`);
    return;
  }
  const actual = await store.hashAt(nodeId, anchor.seq);
  if (actual !== anchor.hash) {
    report('rewritten', anchor.seq, actual === undefined
      ? `record ${anchor.seq}, signed by the sink's copy of checkpoint ${anchor.recordSeq} at ${when}, is gone`
      : `record ${anchor.seq} is not the record the sink's copy of checkpoint ${anchor.recordSeq} signed at ${when}: the chain was rewritten after it`);
  }
}
