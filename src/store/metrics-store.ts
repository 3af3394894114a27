import type { ClusterFacts, ClusterFactsStore } from '../metrics/store.ts';
import type { Database } from './db.ts';

/**
 * The cluster facts a scrape exports (src/metrics): small aggregate reads, each bounded by an
 * index or by a table that stays small (CRLs, audit cursors, used nonces pruned after their lifetime).
 */
export class SqlClusterFactsStore implements ClusterFactsStore {
  constructor(private readonly db: Database) {}

  async read(): Promise<ClusterFacts> {
    const now = this.db.dialect.nowMs;
    const [jobs, oldest, crls, shards, nonces, audit, managed, probes] = await Promise.all([
      this.db.query<{ kind: string; status: string; n: number }>("SELECT kind, status, COUNT(*) AS n FROM jobs WHERE status <> 'done' GROUP BY kind, status"),
      this.db.query<{ kind: string; age: number }>(`SELECT kind, ${now} - MIN(run_at) AS age FROM jobs WHERE status = 'queued' AND run_at <= ${now} GROUP BY kind`),
      // LENGTH of a BLOB (SQLite) or bytea (PostgreSQL) is its size in bytes.
      this.db.query<{ issuer_id: string; this_update: number; next_update: number; bytes: number }>('SELECT issuer_id, this_update, next_update, LENGTH(der) AS bytes FROM crls'),
      this.db.query<{ issuer_id: string; shard: number; this_update: number; next_update: number; bytes: number }>('SELECT issuer_id, shard, this_update, next_update, LENGTH(der) AS bytes FROM crl_shards'),
      this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM used_nonces'),
      // The oldest undelivered record of each (sink, node) is the one right after the cursor.
      this.db.query<{ sink: string; behind: number; oldest: number | null }>(
        `SELECT c.sink, SUM(CASE WHEN h.seq > c.seq THEN h.seq - c.seq ELSE 0 END) AS behind, MAX(${now} - r.time) AS oldest
         FROM audit_cursors c JOIN audit_heads h ON h.node_id = c.node_id
         LEFT JOIN audit_records r ON r.node_id = c.node_id AND r.seq = c.seq + 1
         GROUP BY c.sink`,
      ),
      // One row per managed certificate (as many as an operator manages), with its current revision.
      this.db.query<{ name: string; last_outcome: string; failures: number; not_before: number | string | null; not_after: number | string | null; now: number | string }>(
        `SELECT m.name, m.last_outcome, m.failures, r.not_before, r.not_after, ${now} AS now FROM managed_certificates m
         LEFT JOIN managed_revisions r ON r.managed_name = m.name AND r.revision = m.current_revision`,
      ),
      // One row per TLS probe (as many as an operator adds); the last result is a small JSON document.
      this.db.query<{ name: string; result: string | null }>('SELECT name, result FROM probe_endpoints'),
    ]);
    return {
      jobs: jobs.map((r) => ({ kind: r.kind, status: r.status, count: Number(r.n) })),
      oldestQueued: oldest.map((r) => ({ kind: r.kind, ageSeconds: Math.max(0, Number(r.age)) / 1000 })),
      crls: [
        ...crls.map((r) => ({ issuerId: r.issuer_id, shard: 'all', thisUpdate: Number(r.this_update), nextUpdate: Number(r.next_update), bytes: Number(r.bytes) })),
        ...shards.map((r) => ({ issuerId: r.issuer_id, shard: String(r.shard), thisUpdate: Number(r.this_update), nextUpdate: Number(r.next_update), bytes: Number(r.bytes) })),
      ],
      managed: managed.map((r) => {
        const notAfter = r.not_after === null ? undefined : Number(r.not_after);
        const valid = notAfter !== undefined && Number(r.not_before) <= Number(r.now) && Number(r.now) < notAfter;
        return { name: r.name, notAfter, ready: valid && r.last_outcome !== 'failed', failures: Number(r.failures) };
      }),
      probes: probes.map((r) => {
        const last = r.result === null ? null : (JSON.parse(r.result) as { outcome: string; notAfter: number | null });
        return { name: r.name, notAfter: last?.notAfter ?? undefined, ok: last?.outcome === 'ok' };
      }),
      usedNonces: Number(nonces[0]?.n ?? 0),
      auditLag: audit.map((r) => ({ sink: r.sink, records: Number(r.behind), oldestSeconds: r.oldest === null ? 0 : Math.max(0, Number(r.oldest)) / 1000 })),
    };
  }
}
