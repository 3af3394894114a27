import { createHash } from 'node:crypto';

/** Every kind of event the audit log records. Closed: a new event needs a new entry here and in docs/audit.md. */
export const AUDIT_ACTIONS = [
  'account.created',
  'account.updated',
  'account.deactivated',
  'account.key-changed',
  'eab.created',
  'eab.used',
  'eab.revoked',
  'order.finalized',
  'certificate.issued',
  'certificate.revoked',
  'admin.token-created',
  'admin.token-used',
  'admin.token-revoked',
  'console.signed-in',
  'console.sessions-ended',
  'console.sign-in-refused',
  'admin.role-created',
  'admin.role-removed',
  'ssh.ca-created',
  'ssh.ca-rotated',
  'ssh.ca-retired',
  'ssh.role-changed',
  'ssh.certificate-signed',
  'ssh.certificate-revoked',
  'secret.written',
  'secret.revealed',
  'secret.listed',
  'secret.metadata-updated',
  'secret.deleted',
  'secret.undeleted',
  'secret.destroyed',
  'secret.removed',
  'secret.rotated',
  'secret.honeytoken-revealed',
  'secret.policy-changed',
  'config.changed',
  'kek.changed',
  'lease.acquired',
  'lease.lost',
  'node.started',
  'node.stopped',
  'audit.checkpoint',
  'lifecycle.issuer-added',
  'lifecycle.issuer-updated',
  'lifecycle.issuer-removed',
  'lifecycle.account-key-changed',
  'lifecycle.managed-added',
  'lifecycle.managed-updated',
  'lifecycle.managed-removed',
  'lifecycle.renewal-requested',
  'lifecycle.renewed',
  'lifecycle.renewal-failed',
  'lifecycle.probe-added',
  'lifecycle.probe-updated',
  'lifecycle.probe-removed',
  'notify.channel-added',
  'notify.channel-removed',
  'notify.channel-tested',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'success' | 'failure';

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** One stored record of a node's chain. */
export interface AuditRecord {
  nodeId: string;
  /** 1, 2, 3… per node, with no gaps. */
  seq: number;
  /** Database clock, epoch milliseconds. */
  time: number;
  actor: string;
  action: AuditAction;
  object: string;
  outcome: AuditOutcome;
  /** Canonical JSON text (keys sorted); hashed exactly as stored. */
  details: string;
  prevHash: string;
  hash: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The `prev_hash` of a node's first record: fixed per node, so a chain cannot be grafted onto another node's. */
export function genesisHash(nodeId: string): string {
  return sha256(`certainty-audit-genesis-v1\n${nodeId}`);
}

/**
 * SHA-256 over a canonical encoding of every field but the hash itself: a JSON array of strings
 * and safe integers, which JSON.stringify renders one way only. `details` is already canonical text.
 */
export function hashRecord(r: Omit<AuditRecord, 'hash'>): string {
  return sha256(JSON.stringify(['certainty-audit-v1', r.nodeId, r.seq, r.time, r.actor, r.action, r.object, r.outcome, r.details, r.prevHash]));
}

/** JSON with object keys sorted at every level, so equal details always hash the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}
