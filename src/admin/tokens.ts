import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createCredential, listCredentials, revokeCredential, type Listed } from './credentials.ts';
import { AppError } from '../errors.ts';
import type { Caller, TokenRole } from './roles.ts';
import type { AdminTokenRecord, AdminTokenStore } from './store.ts';

const PREFIX = 'cty_';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface AdminTokenDeps {
  store: AdminTokenStore;
  now: () => number;
  /** Who creations and revocations are recorded as: `cli:<user>` or `admin-api`. */
  actor: string;
}

/** Admin bearer tokens: only a SHA-256 hash is stored; the token is shown once at creation. */
export class AdminTokens {
  constructor(private readonly deps: AdminTokenDeps) {}

  /**
   * A new token, shown once. `role` defaults to `admin`; `ttlMs` makes it expire (it is refused
   * from then on, like a revoked one).
   */
  async create(name: string, options: { role?: TokenRole; ttlMs?: number } = {}): Promise<{ id: string; token: string; role: TokenRole; expiresAt: string | null }> {
    const role = options.role ?? 'admin';
    if (options.ttlMs !== undefined && !(options.ttlMs > 0)) throw new AppError('malformed', 'A token\'s lifetime must be positive, e.g. 30d or 12h');
    const id = randomBytes(6).toString('hex');
    const token = `${PREFIX}${id}_${randomBytes(24).toString('base64url')}`;
    const createdAt = this.deps.now();
    const expiresAt = options.ttlMs === undefined ? null : createdAt + options.ttlMs;
    await createCredential(this.deps.store, { id, name, hash: hashToken(token), role, createdAt, expiresAt }, {
      actor: this.deps.actor, action: 'admin.token-created', object: `token:${id}`, outcome: 'success',
      details: { name, role, ...(expiresAt === null ? {} : { expiresAt: new Date(expiresAt).toISOString() }) },
    });
    return { id, token, role, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() };
  }

  /** Every token, oldest first, times as ISO 8601 (`expiresAt` null when it never expires). */
  async list(): Promise<Array<Omit<Listed<AdminTokenRecord>, 'expiresAt'> & { expiresAt: string | null }>> {
    return (await listCredentials(this.deps.store)).map((t) => ({ ...t, expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString() }));
  }

  revoke(id: string): Promise<boolean> {
    return revokeCredential(this.deps.store, id, this.deps.now(), { actor: this.deps.actor, action: 'admin.token-revoked', object: `token:${id}`, outcome: 'success' });
  }

  /** Who the token is when it is valid: not revoked, not expired, and its hash matches. */
  async verify(token: string): Promise<Caller | undefined> {
    const m = /^cty_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/.exec(token);
    const id = m?.[1];
    if (id === undefined) return undefined;
    const row = await this.deps.store.tokenHash(id);
    if (!row) return undefined;
    const live = row.revokedAt === null && (row.expiresAt === null || row.expiresAt > this.deps.now());
    const ok = live && timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hashToken(token), 'hex'));
    // Only ids that exist are recorded, and nothing but the id: one record per admin request.
    await this.deps.store.audit({ actor: `token:${id}`, action: 'admin.token-used', object: `token:${id}`, outcome: ok ? 'success' : 'failure' });
    return ok ? { tokenId: id, role: row.role } : undefined;
  }
}
