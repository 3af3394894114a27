import type { Registry } from 'prom-client';
import type { MetricSet } from './catalog.ts';
import type { ClusterFacts, ClusterFactsStore } from './store.ts';

/** What a scrape reads besides the counters: this node's state, and the database for cluster facts. */
export interface ScrapeSources {
  /** Leases this node holds and trusts now. */
  leases: () => ReadonlyArray<{ name: string }>;
  /** Writes refused by a stale fencing token so far (a running count kept by the cluster runtime). */
  fencingRejected: () => number;
  /** Whether this node exports the cluster facts now (it holds the scheduler lease). */
  exportsClusterFacts: () => boolean;
  writable: () => Promise<boolean>;
  /** Statements and transactions running now. */
  statementsInFlight: () => number;
  kekOpens: () => Promise<boolean>;
  facts: ClusterFactsStore;
}

/** A scrape must answer within Prometheus's timeout (10 s by default) even when the database does not. */
const READ_TIMEOUT_MS = 3_000;

function bounded<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS).unref())]);
}

/** `counted`: the fencing refusals already added to the counter (the runtime keeps a running total). */
export async function readNodeFacts(m: MetricSet, s: ScrapeSources, counted: { rejections: number }): Promise<void> {
  m.leaseHeld.reset();
  for (const lease of s.leases()) m.leaseHeld.labels(lease.name).set(1);
  const rejected = s.fencingRejected();
  if (rejected > counted.rejections) m.fencingRejections.inc(rejected - counted.rejections);
  counted.rejections = rejected;
  m.dbInFlight.set(s.statementsInFlight());
  const t = performance.now();
  try {
    const writable = await bounded(s.writable());
    m.dbPing.set((performance.now() - t) / 1000);
    m.dbWritable.set(writable ? 1 : 0);
  } catch {
    m.dbWritable.set(0);
    m.readErrors.labels('database').inc();
  }
  try {
    m.kekOpens.set((await bounded(s.kekOpens())) ? 1 : 0);
  } catch {
    m.readErrors.labels('kek').inc();
  }
}

/**
 * Cluster facts come from one node only, so a sum over nodes counts each fact once. Returns
 * whether this node exports them now (their registry is then part of the answer).
 */
export async function readClusterFacts(m: MetricSet, facts: Registry, s: ScrapeSources): Promise<boolean> {
  facts.resetMetrics();
  const exporting = s.exportsClusterFacts();
  m.clusterFacts.set(exporting ? 1 : 0);
  if (!exporting) return false;
  try {
    fill(m, await bounded(s.facts.read()));
    return true;
  } catch {
    m.readErrors.labels('cluster_facts').inc();
    return false;
  }
}

function fill(m: MetricSet, facts: ClusterFacts): void {
  for (const j of facts.jobs) m.queueDepth.labels(j.kind, j.status).set(j.count);
  for (const o of facts.oldestQueued) m.queueAge.labels(o.kind).set(o.ageSeconds);
  for (const c of facts.crls) {
    m.crlUpdated.labels(c.issuerId, c.shard).set(c.thisUpdate / 1000);
    m.crlNext.labels(c.issuerId, c.shard).set(c.nextUpdate / 1000);
    m.crlSize.labels(c.issuerId, c.shard).set(c.bytes);
  }
  for (const c of facts.managed) {
    if (c.notAfter !== undefined) m.managedExpiry.labels(c.name).set(c.notAfter / 1000);
    m.managedReady.labels(c.name).set(c.ready ? 1 : 0);
    m.managedFailures.labels(c.name).set(c.failures);
  }
  for (const p of facts.probes ?? []) {
    if (p.notAfter !== undefined) m.probeExpiry.labels(p.name).set(p.notAfter / 1000);
    m.probeOk.labels(p.name).set(p.ok ? 1 : 0);
  }
  m.usedNonces.set(facts.usedNonces);
  for (const a of facts.auditLag) {
    m.auditLagRecords.labels(a.sink).set(a.records);
    m.auditLagSeconds.labels(a.sink).set(a.oldestSeconds);
  }
}
