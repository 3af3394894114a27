import { randomBytes } from 'node:crypto';
import type { EabKeys } from '../acme/context.ts';
import { recordAs, type AuditActor } from '../audit/log.ts';
import type { Kek } from '../kek/kek.ts';
import type { Database } from '../store/db.ts';

const aad = (kid: string): string => `eab:${kid}`;

export interface EabKeyInfo {
  kid: string;
  label: string;
  createdAt: string;
  accountId: string | null;
  revoked: boolean;
}

/** External Account Binding keys: HMAC keys wrapped by the KEK, single use, revocable. */
export class EabKeyStore implements EabKeys {
  /** Creations and revocations are recorded in `audit` (in the same transaction) when given. */
  constructor(private readonly db: Database, private readonly kek: Kek, private readonly now: () => number, private readonly audit?: AuditActor) {}

  async create(label: string): Promise<{ kid: string; hmacKey: string }> {
    const kid = `kid-${randomBytes(9).toString('base64url')}`;
    const key = randomBytes(32);
    await this.db.transaction(async (tx) => {
      await tx.exec('INSERT INTO eab_keys (kid, label, hmac_wrapped, created_at) VALUES (?, ?, ?, ?)', [kid, label, this.kek.wrap(key, aad(kid)), this.now()]);
      await recordAs(this.audit, tx, { action: 'eab.created', object: `eab:${kid}`, outcome: 'success', details: { label } });
    });
    return { kid, hmacKey: key.toString('base64url') };
  }

  async list(): Promise<EabKeyInfo[]> {
    const rows = await this.db.query<{ kid: string; label: string; created_at: number; account_id: string | null; revoked_at: number | null }>(
      'SELECT kid, label, created_at, account_id, revoked_at FROM eab_keys ORDER BY created_at',
    );
    return rows.map((r) => ({ kid: r.kid, label: r.label, createdAt: new Date(Number(r.created_at)).toISOString(), accountId: r.account_id, revoked: r.revoked_at !== null }));
  }

  async revoke(kid: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if ((await tx.exec('UPDATE eab_keys SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL', [this.now(), kid])) !== 1) return false;
      await recordAs(this.audit, tx, { action: 'eab.revoked', object: `eab:${kid}`, outcome: 'success' });
      return true;
    });
  }

  async hmacKey(kid: string): Promise<Buffer | undefined> {
    const rows = await this.db.query<{ hmac_wrapped: Buffer }>('SELECT hmac_wrapped FROM eab_keys WHERE kid = ? AND revoked_at IS NULL AND account_id IS NULL', [kid]);
    const row = rows[0];
    return row && this.kek.unwrap(row.hmac_wrapped, aad(kid));
  }
}
