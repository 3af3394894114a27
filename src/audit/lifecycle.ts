import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { canonicalJson } from './chain.ts';
import type { AuditLog } from './log.ts';

/** The actor of a CLI command: the operating-system user who ran it. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Config keys whose values are secrets or carry credentials: left out of the digests. */
const SECRET_KEY = /passphrase|password|headers/i;

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEY.test(k)) out[k] = v === undefined ? undefined : '[set]';
    else if (k === 'url' && typeof v === 'string') out[k] = v.replace(/\/\/[^/@]*@/, '//[credentials]@').replace(/\?.*$/, '?[query]');
    else out[k] = withoutSecrets(v);
  }
  return out;
}

/** A short digest per top-level config section (secrets left out), so a change names its sections. */
function configDigests(config: object): Record<string, string> {
  const clean = withoutSecrets(config) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const key of Object.keys(clean).sort()) out[key] = createHash('sha256').update(canonicalJson(clean[key] ?? null)).digest('hex').slice(0, 16);
  return out;
}

async function previousDigests(audit: AuditLog): Promise<Record<string, string> | undefined> {
  const row = await audit.latest('node.started');
  if (!row) return undefined;
  try {
    return (JSON.parse(row.details) as { config?: Record<string, string> }).config;
  } catch {
    // An edited record; `certainty audit verify` reports it. Starting must not depend on it.
    return undefined;
  }
}

/**
 * Records `node.started` with the configuration's section digests, preceded by `config.changed`
 * naming the sections that differ from this node's previous start.
 */
export async function recordNodeStarted(audit: AuditLog, info: { version: string; address: string; config: object }): Promise<void> {
  const node = `node:${audit.nodeId}`;
  const config = configDigests(info.config);
  const before = await previousDigests(audit);
  if (before !== undefined) {
    const changed = [...new Set([...Object.keys(before), ...Object.keys(config)])].filter((k) => before[k] !== config[k]).sort();
    if (changed.length > 0) await audit.record(undefined, { actor: node, action: 'config.changed', object: node, outcome: 'success', details: { sections: changed } });
  }
  await audit.record(undefined, { actor: node, action: 'node.started', object: node, outcome: 'success', details: { version: info.version, address: info.address, config } });
}

export async function recordNodeStopped(audit: AuditLog): Promise<void> {
  const node = `node:${audit.nodeId}`;
  await audit.record(undefined, { actor: node, action: 'node.stopped', object: node, outcome: 'success' });
}

/** `onAcquired`/`onLost` for a LeaseKeeper: records lease changes without ever blocking or failing the keeper. */
export function leaseAuditHooks(audit: AuditLog, log: Logger): {
  onAcquired: (lease: { name: string; token: number }) => void;
  onLost: (lease: { name: string; token: number }, why: string) => void;
} {
  const node = `node:${audit.nodeId}`;
  const write = (action: 'lease.acquired' | 'lease.lost', lease: { name: string; token: number }, details: Record<string, unknown>): void => {
    audit.record(undefined, { actor: node, action, object: `lease:${lease.name}`, outcome: 'success', details: { fencingToken: lease.token, ...details } })
      .catch((err: unknown) => log.warn({ err, action, lease: lease.name }, 'could not record the lease change in the audit log'));
  };
  return {
    onAcquired: (lease) => write('lease.acquired', lease, {}),
    onLost: (lease, why) => write('lease.lost', lease, { why }),
  };
}
