/**
 * Discovery into the inventory: scan the targets (src/lifecycle/probe/discover.ts), tell for each
 * certificate found whether this CA issued it, and, when asked, keep it (first and last seen).
 */
import { discover } from './discover.ts';
import type { DiscoveredCertificate, ProbeStore } from './store.ts';

export interface DiscoverRequest {
  /** `host:port` or `range:port` each (discover.ts). */
  targets: readonly string[];
  /** Keep what was found in the inventory. */
  save: boolean;
  /** PEM trust anchors for the chain check; default the system's. */
  trust?: string | undefined;
}

/** Every cap of a scan: a /22 of IPv4 addresses on one port, 2 s per handshake, 16 at a time. */
const MAX_ENDPOINTS = 1024;

export async function discoverInventory(deps: { store: ProbeStore; now: () => number }, req: DiscoverRequest): Promise<DiscoveredCertificate[]> {
  const now = deps.now();
  const results = await discover(req.targets, { now, trust: req.trust, maxEndpoints: MAX_ENDPOINTS, timeoutMs: 2_000, concurrency: 16 });
  const found: DiscoveredCertificate[] = [];
  for (const r of results) {
    const s = r.served;
    if (s === null) continue;
    const host = r.endpoint.host.includes(':') ? `[${r.endpoint.host}]` : r.endpoint.host;
    found.push({
      endpoint: `${host}:${r.endpoint.port}`, fingerprint256: s.fingerprint256, serial: s.serial, subject: s.subject, names: s.names, issuer: s.issuer,
      notAfter: s.notAfter, issuedHere: await deps.store.issuedHere(s.serial, s.fingerprint256), firstSeen: now, lastSeen: now,
    });
  }
  if (req.save) await deps.store.transaction(async (s) => { for (const c of found) await s.upsertDiscovered(c); });
  return found;
}
