import type { LeaseRecord } from './store.ts';

/** A held lease: the fencing token to put on every write made under it. */
export interface Lease {
  name: string;
  token: number;
}

/** A lease as `cluster status` shows it: holder and expiry null when it is free (released or lapsed). */
export interface LeaseInfo {
  name: string;
  holder: string | null;
  token: number;
  expiresAt: string;
  expiresInMs: number | null;
}

/** The lease named in a write was lost: the write must not happen. */
export class FencedError extends Error {
  constructor(lease: Lease) {
    super(`lease ${lease.name} token ${lease.token} is no longer current; write refused`);
    this.name = 'FencedError';
  }
}

export function leaseInfo(r: LeaseRecord): LeaseInfo {
  const held = r.holder !== null && r.expiresInMs >= 0;
  return {
    name: r.name, holder: held ? r.holder : null, token: r.token,
    expiresAt: new Date(r.expiresAt).toISOString(), expiresInMs: held ? r.expiresInMs : null,
  };
}
