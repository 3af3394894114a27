import type { IssuerRecord, IssuerStore } from '../ca/store.ts';
import type { KeyAlgorithm } from '../ca/keys.ts';
import type { Database, Queryable } from './db.ts';

interface IssuerRow {
  id: string;
  role: 'root' | 'intermediate';
  algorithm: KeyAlgorithm | 'external';
  cert_pem: string;
  chain_pem: string;
  key_wrapped: Buffer | null;
  not_after: number;
}

/** Any lock id will do as long as nothing else takes it: it only serialises CA creation. */
const CREATE_CA_LOCK = 738202;
const ACTIVE_INTERMEDIATE = `SELECT id FROM issuers WHERE role = 'intermediate' AND active = 1`;

/** The `issuers` table. */
export class SqlIssuerStore implements IssuerStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db) {}

  async hasActiveCa(): Promise<boolean> {
    return (await this.q.query(ACTIVE_INTERMEDIATE)).length > 0;
  }

  insertCa(issuers: readonly IssuerRecord[], createdAt: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // SQLite transactions are serial already; PostgreSQL needs a lock so two first starts create one CA.
      if (this.db.dialect.name === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(${CREATE_CA_LOCK})`);
      if ((await tx.query(ACTIVE_INTERMEDIATE)).length > 0) return false;
      for (const r of issuers) {
        await tx.exec(
          'INSERT INTO issuers (id, role, algorithm, cert_pem, chain_pem, key_wrapped, not_after, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)',
          [r.id, r.role, r.algorithm, r.certPem, r.chainPem, r.keyWrapped, r.notAfter, createdAt],
        );
      }
      return true;
    });
  }

  async activeIssuers(): Promise<IssuerRecord[]> {
    const rows = await this.q.query<IssuerRow>('SELECT id, role, algorithm, cert_pem, chain_pem, key_wrapped, not_after FROM issuers WHERE active = 1');
    return rows.map((r) => ({
      id: r.id, role: r.role, algorithm: r.algorithm, certPem: r.cert_pem, chainPem: r.chain_pem,
      keyWrapped: r.key_wrapped === null ? null : Buffer.from(r.key_wrapped), notAfter: Number(r.not_after),
    }));
  }
}
