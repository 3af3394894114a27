import type { AuditRecorder } from '../audit/log.ts';
import { CRL_JOB, type CrlSnapshot, type CrlStore, type StoredCrl } from '../ca/crl-publisher.ts';
import type { RevocationEvent, RevocationStore } from '../ca/store.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';
import { SqlJobStore } from './job-store.ts';

/** The CRL tables: numbers allocated on `issuers`, generations in `revocation_generations`, CRLs in `crls`. */
export class SqlCrlStore implements CrlStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db) {}

  snapshot(issuerId: string, now: number): Promise<CrlSnapshot> {
    return this.db.transaction(async (tx) => {
      // Taking the number first locks the issuer row until commit: builders read in number order.
      const numbered = await tx.query<{ n: number }>('UPDATE issuers SET last_crl_number = last_crl_number + 1 WHERE id = ? RETURNING last_crl_number AS n', [issuerId]);
      const n = numbered[0]?.n;
      if (n === undefined) throw new Error(`issuer ${issuerId} is not in the database`);
      // The generation before the set: the set then holds every revocation the generation counts.
      const gen = await tx.query<{ generation: number }>('SELECT generation FROM revocation_generations WHERE issuer_id = ?', [issuerId]);
      const revoked = await tx.query<{ serial: string; revoked_at: number; revocation_reason: number }>(
        'SELECT serial, revoked_at, revocation_reason FROM certificates WHERE issuer_id = ? AND revoked_at IS NOT NULL AND not_after > ? ORDER BY revoked_at, serial',
        [issuerId, now],
      );
      return {
        number: Number(n), generation: Number(gen[0]?.generation ?? 0),
        entries: revoked.map((r) => ({ serialHex: r.serial, revokedAt: new Date(Number(r.revoked_at)), reason: Number(r.revocation_reason) })),
      };
    });
  }

  async publish(issuerId: string, crl: { number: number; generation: number; der: Buffer; thisUpdate: number; nextUpdate: number }): Promise<boolean> {
    const n = await this.q.exec(
      `INSERT INTO crls (issuer_id, number, der, this_update, next_update, generation) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (issuer_id) DO UPDATE SET number = excluded.number, der = excluded.der, this_update = excluded.this_update,
         next_update = excluded.next_update, generation = excluded.generation
       WHERE crls.number < excluded.number`,
      [issuerId, crl.number, crl.der, crl.thisUpdate, crl.nextUpdate, crl.generation],
    );
    return n === 1;
  }

  async current(issuerId: string): Promise<StoredCrl | undefined> {
    // One statement, so the CRL and the generation it is compared with come from one snapshot.
    const rows = await this.q.query<{ der: Buffer; next_update: number; generation: number; latest: number | null }>(
      `SELECT c.der, c.next_update, c.generation, g.generation AS latest
       FROM crls c LEFT JOIN revocation_generations g ON g.issuer_id = c.issuer_id WHERE c.issuer_id = ?`,
      [issuerId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { der: Buffer.from(r.der), nextUpdate: Number(r.next_update), generation: Number(r.generation), latestGeneration: Number(r.latest ?? 0) };
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

  async markRevoked(certificateId: string, at: number, reason: number): Promise<string | undefined> {
    const revoked = await this.q.query<{ issuer_id: string }>(
      'UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE id = ? AND revoked_at IS NULL RETURNING issuer_id',
      [at, reason, certificateId],
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

  async queueCrlJob(issuerId: string, generation: number): Promise<void> {
    await new SqlJobStore(this.db, this.q).enqueue(CRL_JOB, { issuerId }, { idempotencyKey: `crl:${issuerId}:${generation}` });
  }

  async audit(event: RevocationEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }
}
