import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../store/db.ts';

const PREFIX = 'cty_';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Admin bearer tokens: only a SHA-256 hash is stored; the token is shown once at creation. */
export class AdminTokens {
  constructor(private readonly db: Database, private readonly now: () => number) {}

  async create(name: string): Promise<{ id: string; token: string }> {
    const id = randomBytes(6).toString('hex');
    const token = `${PREFIX}${id}_${randomBytes(24).toString('base64url')}`;
    await this.db.exec('INSERT INTO admin_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)', [id, name, hashToken(token), this.now()]);
    return { id, token };
  }

  async list(): Promise<Array<{ id: string; name: string; createdAt: string; revoked: boolean }>> {
    const rows = await this.db.query<{ id: string; name: string; created_at: number; revoked_at: number | null }>(
      'SELECT id, name, created_at, revoked_at FROM admin_tokens ORDER BY created_at',
    );
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: new Date(Number(r.created_at)).toISOString(), revoked: r.revoked_at !== null }));
  }

  async revoke(id: string): Promise<boolean> {
    return (await this.db.exec('UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [this.now(), id])) === 1;
  }

  /** The token's id when it is valid and not revoked. */
  async verify(token: string): Promise<string | undefined> {
    const m = /^cty_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/.exec(token);
    if (!m) return undefined;
    const rows = await this.db.query<{ hash: string; revoked_at: number | null }>('SELECT hash, revoked_at FROM admin_tokens WHERE id = ?', [m[1]]);
    const row = rows[0];
    if (!row || row.revoked_at !== null) return undefined;
    const ok = timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hashToken(token), 'hex'));
    return ok ? m[1] : undefined;
  }
}
