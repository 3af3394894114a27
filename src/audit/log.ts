import { ConflictError } from '../errors.ts';
import { canonicalJson, genesisHash, hashRecord, isAuditAction, type AuditAction, type AuditOutcome, type AuditRecord } from './chain.ts';
import type { AuditChainStore, LockedHead } from './store.ts';

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
   * Appends `event` to this node's chain. Given a chain store bound to the caller's open
   * transaction (src/store's `auditChainOn(db, tx)`), the record commits with the change it
   * describes or not at all; given one bound to the database, or none, it is appended in a
   * transaction of its own.
   */
  record(chain: AuditChainStore | undefined, event: AuditEvent): Promise<void>;
}

/** A recorder and who it records for: what the admin services take (`cli:<user>` or `admin-api`). */
export interface AuditActor {
  recorder: AuditRecorder;
  actor: string;
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

/** Appends `event` after `head`, which the caller locked in `chain`'s transaction; its time is the head's `now`. */
export async function appendAfter(chain: AuditChainStore, nodeId: string, head: LockedHead, event: AuditEvent): Promise<AuditRecord> {
  const details = checkEvent(event);
  const unsigned = {
    nodeId, seq: head.seq + 1, time: head.now, actor: event.actor, action: event.action, object: event.object,
    outcome: event.outcome, details, prevHash: head.hash,
  };
  const record: AuditRecord = { ...unsigned, hash: hashRecord(unsigned) };
  if (!(await chain.append(record, head.seq))) throw new ConflictError(`audit chain head of node ${nodeId}`);
  return record;
}

/** Locks this node's chain head in `chain`'s transaction, creating it on the node's first record. */
export function lockHead(chain: AuditChainStore, nodeId: string): Promise<LockedHead> {
  return chain.lockHead(nodeId, genesisHash(nodeId));
}

/** This node's audit chain in the shared database. */
export class AuditLog implements AuditRecorder {
  readonly nodeId: string;
  private readonly chain: AuditChainStore;

  constructor(deps: { chain: AuditChainStore; nodeId: string }) {
    this.chain = deps.chain;
    this.nodeId = deps.nodeId;
  }

  async record(chain: AuditChainStore | undefined, event: AuditEvent): Promise<void> {
    checkEvent(event);
    await (chain ?? this.chain).transaction(async (tx) => appendAfter(tx, this.nodeId, await lockHead(tx, this.nodeId), event));
  }

  /** This node's latest record with `action`. */
  latest(action: AuditAction): Promise<AuditRecord | undefined> {
    return this.chain.latest(this.nodeId, action);
  }
}
