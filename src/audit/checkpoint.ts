import type { AuditRecord } from './chain.ts';
import type { CheckpointSigner } from './checkpoint-key.ts';
import { appendAfter, lockHead } from './log.ts';
import type { AuditChainStore } from './store.ts';

/** The details of an `audit.checkpoint` record: the head it signs (its predecessor) and the signature. */
export interface CheckpointDetails {
  /** The seq of the record signed: the chain's head when the checkpoint was taken. */
  seq: number;
  /** That record's hash. */
  hash: string;
  /** Which key signed (CheckpointKey.keyId). */
  keyId: string;
  /** Ed25519 over checkpointMessage(node, seq, hash, time of the checkpoint record), base64url. */
  signature: string;
}

export const CHECKPOINT_ACTION = 'audit.checkpoint';

/**
 * The bytes signed: a JSON array of strings and safe integers, which JSON.stringify renders one
 * way only, so a verifier outside Certainty (a SIEM holding the forwarded records) rebuilds it
 * from the record's `nodeId`, `details.seq`, `details.hash` and `timeMs`.
 */
export function checkpointMessage(nodeId: string, seq: number, hash: string, time: number): Buffer {
  return Buffer.from(JSON.stringify(['certainty-audit-checkpoint-v1', nodeId, seq, hash, time]), 'utf8');
}

/** The checkpoint a record carries, or undefined when its details are not a checkpoint's. */
export function checkpointOf(rec: AuditRecord): CheckpointDetails | undefined {
  try {
    const d = JSON.parse(rec.details) as Partial<CheckpointDetails>;
    const ok = Number.isSafeInteger(d.seq) && typeof d.hash === 'string' && typeof d.keyId === 'string' && typeof d.signature === 'string';
    return ok ? (d as CheckpointDetails) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Signs this node's chain head and appends the signature as the chain's next record, under the
 * head's row lock, so what is signed is exactly the committed head. Nothing is written when the
 * chain is empty or its head is already a checkpoint (nothing happened since). A chain belongs to
 * one data directory: its server and the CLI commands run on it append and sign, each under this
 * same lock, so no lease or fencing is involved.
 */
export async function writeCheckpoint(chain: AuditChainStore, nodeId: string, signer: CheckpointSigner): Promise<AuditRecord | undefined> {
  return chain.transaction(async (tx) => {
    const head = await lockHead(tx, nodeId);
    if (head.seq === 0 || (await tx.actionAt(nodeId, head.seq)) === CHECKPOINT_ACTION) return undefined;
    const details: CheckpointDetails = {
      seq: head.seq, hash: head.hash, keyId: signer.keyId, signature: signer.sign(checkpointMessage(nodeId, head.seq, head.hash, head.now)),
    };
    const node = `node:${nodeId}`;
    return appendAfter(tx, nodeId, head, { actor: node, action: CHECKPOINT_ACTION, object: node, outcome: 'success', details: { ...details } });
  });
}
