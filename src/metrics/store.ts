/**
 * What the metrics read from the database at scrape time: facts about the whole cluster, exported
 * by one node only (the scheduler lease holder). Implemented by src/store/metrics-store.ts.
 */
export interface ClusterFactsStore {
  read(): Promise<ClusterFacts>;
}

export interface ClusterFacts {
  /** Jobs not done, by kind and status (queued, running, failed). */
  jobs: Array<{ kind: string; status: string; count: number }>;
  /** Per kind: seconds since the longest-waiting runnable queued job became runnable (database clock). */
  oldestQueued: Array<{ kind: string; ageSeconds: number }>;
  /** Each stored CRL: issuer, shard ('all' for the complete CRL), thisUpdate and nextUpdate (epoch ms), size of its DER. */
  crls: Array<{ issuerId: string; shard: string; thisUpdate: number; nextUpdate: number; bytes: number }>;
  /** Each managed certificate: its current revision's notAfter (epoch ms; undefined before the first), whether it is ready, failed attempts in a row. */
  managed: Array<{ name: string; notAfter: number | undefined; ready: boolean; failures: number }>;
  /** Each TLS probe: the served certificate's notAfter at its last probe (epoch ms; undefined when none was read) and whether that probe found nothing wrong. */
  probes?: Array<{ name: string; notAfter: number | undefined; ok: boolean }>;
  /** Rows in the used-nonce ledger. */
  usedNonces: number;
  /** Per audit sink: records not yet delivered, and the age of the oldest of them (0 when none). */
  auditLag: Array<{ sink: string; records: number; oldestSeconds: number }>;
}
