import type { AuditRecorder } from '../audit/log.ts';
import { CRL_JOB, type CrlPartition, type CrlSnapshot, type CrlStore, type StoredCrl } from '../ca/crl-publisher.ts';
import type { RevocationEvent, RevocationStore } from '../ca/store.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';
import { placeholders } from './sql-text.ts';
import { SqlJobStore } from './job-store.ts';

/** Which revoked certificates a partition lists: a condition on `certificates` and its parameters. */
function partitionFilter(partition: CrlPartition): { sql: string; params: unknown[] } {
  if (partition === 'all') return { sql: '', params: [] };
  if (partition === 'unsharded') return { sql: ' AND crl_shard IS NULL', params: [] };
  return { sql: ' AND crl_shard = ?', params: [partition] };
}

/**
 * Where a partition's CRL and its revocation generation are kept: the issuer-wide ones, keyed by
 * issuer, or a shard's, keyed by issuer and shard.
 */
function partitionTables(issuerId: string, partition: CrlPartition): { crls: string; generations: string; key: string[]; keyValues: unknown[] } {
  return typeof partition === 'number'
    ? { crls: 'crl_shards', generations: 'crl_shard_generations', key: ['issuer_id', 'shard'], keyValues: [issuerId, partition] }
    : { crls: 'crls', generations: 'revocation_generations', key: ['issuer_id'], keyValues: [issuerId] };
}

/**
 * The CRL tables: numbers allocated on `issuers`; the issuer-wide CRL in `crls` with its generation
 * in `revocation_generations`; each shard's CRL in `crl_shards` with its generation in `crl_shard_generations`.
 */
export class SqlCrlStore implements CrlStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db) {}

  snapshot(issuerId: string, partition: CrlPartition, now: number): Promise<CrlSnapshot> {
    return this.db.transaction(async (tx) => {
      // Taking the number first locks the issuer row until commit: builders read in number order.
      const numbered = await tx.query<{ n: number }>('UPDATE issuers SET last_crl_number = last_crl_number + 1 WHERE id = ? RETURNING last_crl_number AS n', [issuerId]);
      const n = numbered[0]?.n;
      if (n === undefined) throw new Error(`issuer ${issuerId} is not in the database`);
      // The generation before the set: the set then holds every revocation the generation counts.
      const t = partitionTables(issuerId, partition);
      const gen = await tx.query<{ generation: number }>(`SELECT generation FROM ${t.generations} WHERE ${t.key.map((k) => `${k} = ?`).join(' AND ')}`, t.keyValues);
      const only = partitionFilter(partition);
      const revoked = await tx.query<{ serial: string; revoked_at: number; revocation_reason: number }>(
        `SELECT serial, revoked_at, revocation_reason FROM certificates
         WHERE issuer_id = ? AND revoked_at IS NOT NULL AND not_after > ?${only.sql} ORDER BY revoked_at, serial`,
        [issuerId, now, ...only.params],
      );
      return {
        number: Number(n), generation: Number(gen[0]?.generation ?? 0),
        entries: revoked.map((r) => ({ serialHex: r.serial, revokedAt: new Date(Number(r.revoked_at)), reason: Number(r.revocation_reason) })),
      };
    });
  }

  async publish(issuerId: string, partition: CrlPartition, crl: { number: number; generation: number; der: Buffer; thisUpdate: number; nextUpdate: number }): Promise<boolean> {
    const t = partitionTables(issuerId, partition);
    const stored = await this.q.exec(
      `INSERT INTO ${t.crls} (${t.key.join(', ')}, number, der, this_update, next_update, generation) VALUES (${placeholders(t.key.length)}, ?, ?, ?, ?, ?)
       ON CONFLICT (${t.key.join(', ')}) DO UPDATE SET number = excluded.number, der = excluded.der, this_update = excluded.this_update,
         next_update = excluded.next_update, generation = excluded.generation
       WHERE ${t.crls}.number < excluded.number`,
      [...t.keyValues, crl.number, crl.der, crl.thisUpdate, crl.nextUpdate, crl.generation],
    );
    return stored === 1;
  }

  async current(issuerId: string, partition: CrlPartition): Promise<StoredCrl | undefined> {
    const t = partitionTables(issuerId, partition);
    // One statement, so the CRL and the generation it is compared with come from one snapshot.
    const rows = await this.q.query<{ der: Buffer; next_update: number; generation: number; latest: number | null }>(
      `SELECT c.der, c.next_update, c.generation, g.generation AS latest
       FROM ${t.crls} c LEFT JOIN ${t.generations} g ON ${t.key.map((k) => `g.${k} = c.${k}`).join(' AND ')} WHERE ${t.key.map((k) => `c.${k} = ?`).join(' AND ')}`,
      t.keyValues,
    );
    const r = rows[0];
    if (!r) return undefined;
    return { der: Buffer.from(r.der), nextUpdate: Number(r.next_update), generation: Number(r.generation), latestGeneration: Number(r.latest ?? 0) };
  }

  async storedShards(issuerId: string): Promise<number[]> {
    const rows = await this.q.query<{ shard: number }>('SELECT shard FROM crl_shards WHERE issuer_id = ? ORDER BY shard', [issuerId]);
    return rows.map((r) => Number(r.shard));
  }
}

/**
 * The revocation columns of `certificates`, the per-issuer counter in `revocation_generations`,
 * and, bound to the same transaction, the job queue and the audit log.
 */
export class SqlRevocationStore implements RevocationStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db, private readonly recorder: AuditRecorder | undefined = undefined) {}

  transaction<T>(fn: (store: RevocationStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlRevocationStore(this.db, tx, this.recorder)));
  }

  async markRevoked(certificateId: string, at: number, reason: number, shard: number | null): Promise<string | undefined> {
    const revoked = await this.q.query<{ issuer_id: string }>(
      'UPDATE certificates SET revoked_at = ?, revocation_reason = ?, crl_shard = ? WHERE id = ? AND revoked_at IS NULL RETURNING issuer_id',
      [at, reason, shard, certificateId],
    );
    return revoked[0]?.issuer_id;
  }

  async bumpRevocationGeneration(issuerId: string): Promise<number> {
    const bumped = await this.q.query<{ generation: number }>(
      `INSERT INTO revocation_generations (issuer_id, generation) VALUES (?, 1)
       ON CONFLICT (issuer_id) DO UPDATE SET generation = revocation_generations.generation + 1 RETURNING generation`,
      [issuerId],
    );
    return Number(bumped[0]?.generation);
  }

  async bumpShardGeneration(issuerId: string, shard: number): Promise<number> {
    const bumped = await this.q.query<{ generation: number }>(
      `INSERT INTO crl_shard_generations (issuer_id, shard, generation) VALUES (?, ?, 1)
       ON CONFLICT (issuer_id, shard) DO UPDATE SET generation = crl_shard_generations.generation + 1 RETURNING generation`,
      [issuerId, shard],
    );
    return Number(bumped[0]?.generation);
  }

  async queueCrlJob(issuerId: string, generation: number, shard: number | null): Promise<void> {
    const jobs = new SqlJobStore(this.db, this.q);
    if (shard === null) await jobs.enqueue(CRL_JOB, { issuerId }, { idempotencyKey: `crl:${issuerId}:${generation}` });
    else await jobs.enqueue(CRL_JOB, { issuerId, shard }, { idempotencyKey: `crl:${issuerId}/${shard}:${generation}` });
  }

  async audit(event: RevocationEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }
}
