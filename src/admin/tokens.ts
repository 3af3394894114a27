import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { recordAs, type AuditActor } from '../audit/log.ts';
import type { Database } from '../store/db.ts';

const PREFIX = 'cty_';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Admin bearer tokens: only a SHA-256 hash is stored; the token is shown once at creation. */
export class AdminTokens {
  /** Creations, revocations and uses are recorded in `audit` when given. */
  constructor(private readonly db: Database, private readonly now: () => number, private readonly audit?: AuditActor) {}

  async create(name: string): Promise<{ id: string; token: string }> {
    const id = randomBytes(6).toString('hex');
    const token = `${PREFIX}${id}_${randomBytes(24).toString('base64url')}`;
    await this.db.transaction(async (tx) => {
      await tx.exec('INSERT INTO admin_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)', [id, name, hashToken(token), this.now()]);
      await recordAs(this.audit, tx, { action: 'admin.token-created', object: `token:${id}`, outcome: 'success', details: { name } });
    });
    return { id, token };
  }

  async list(): Promise<Array<{ id: string; name: string; createdAt: string; revoked: boolean }>> {
    const rows = await this.db.query<{ id: string; name: string; created_at: number; revoked_at: number | null }>(
      'SELECT id, name, created_at, revoked_at FROM admin_tokens ORDER BY created_at',
    );
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: new Date(Number(r.created_at)).toISOString(), revoked: r.revoked_at !== null }));
  }

  async revoke(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if ((await tx.exec('UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [this.now(), id])) !== 1) return false;
      await recordAs(this.audit, tx, { action: 'admin.token-revoked', object: `token:${id}`, outcome: 'success' });
      return true;
    });
  }

  /** The token's id when it is valid and not revoked. */
  async verify(token: string): Promise<string | undefined> {
    const m = /^cty_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/.exec(token);
    if (!m) return undefined;
    const rows = await this.db.query<{ hash: string; revoked_at: number | null }>('SELECT hash, revoked_at FROM admin_tokens WHERE id = ?', [m[1]]);
    const row = rows[0];
    if (!row) return undefined;
    const ok = row.revoked_at === null && timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hashToken(token), 'hex'));
    // Only ids that exist are recorded, and nothing but the id: one record per admin request.
    await this.audit?.recorder.record(this.db, { actor: `token:${m[1]}`, action: 'admin.token-used', object: `token:${m[1]}`, outcome: ok ? 'success' : 'failure' });
    return ok ? m[1] : undefined;
  }
}
