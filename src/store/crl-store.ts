import type { CrlSnapshot, CrlStore, StoredCrl } from '../ca/crl-publisher.ts';
import { JobQueue } from '../jobs/queue.ts';
import type { Database, Queryable } from './db.ts';

/** The job kind queued with every revocation: brings its issuer's CRL up to date (run by src/serve.ts). */
export const CRL_JOB = 'crl';

/** The CRL tables: numbers allocated on `issuers`, generations in `revocation_generations`, CRLs in `crls`. */
export class SqlCrlStore implements CrlStore {
  constructor(private readonly db: Database) {}

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
    const n = await this.db.exec(
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
    const rows = await this.db.query<{ der: Buffer; next_update: number; generation: number; latest: number | null }>(
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
 * Revokes a certificate inside the caller's transaction `tx` and, in that same transaction, bumps
 * its issuer's revocation generation and queues a CRL job: a revocation commits only together with
 * the work that publishes it, so a crash right after the commit still gets it onto the CRL.
 * Undefined when there is no such unrevoked certificate.
 */
export async function recordRevocation(
  db: Database, tx: Queryable, cert: { id: string } | { serial: string }, at: number, reason: number,
): Promise<{ issuerId: string; generation: number } | undefined> {
  const [column, value] = 'id' in cert ? ['id', cert.id] : ['serial', cert.serial];
  const revoked = await tx.query<{ issuer_id: string }>(
    `UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE ${column} = ? AND revoked_at IS NULL RETURNING issuer_id`,
    [at, reason, value],
  );
  const issuerId = revoked[0]?.issuer_id;
  if (issuerId === undefined) return undefined;
  // Revocations of one issuer queue on this row until they commit, so generations follow commit order.
  const bumped = await tx.query<{ generation: number }>(
    `INSERT INTO revocation_generations (issuer_id, generation) VALUES (?, 1)
     ON CONFLICT (issuer_id) DO UPDATE SET generation = revocation_generations.generation + 1 RETURNING generation`,
    [issuerId],
  );
  const generation = Number(bumped[0]?.generation);
  await new JobQueue(db).enqueue(tx, CRL_JOB, { issuerId }, { idempotencyKey: `crl:${issuerId}:${generation}` });
  return { issuerId, generation };
}
