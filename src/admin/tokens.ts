import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createCredential, listCredentials, revokeCredential, type Listed } from './credentials.ts';
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

  async create(name: string): Promise<{ id: string; token: string }> {
    const id = randomBytes(6).toString('hex');
    const token = `${PREFIX}${id}_${randomBytes(24).toString('base64url')}`;
    await createCredential(this.deps.store, { id, name, hash: hashToken(token), createdAt: this.deps.now() }, {
      actor: this.deps.actor, action: 'admin.token-created', object: `token:${id}`, outcome: 'success', details: { name },
    });
    return { id, token };
  }

  list(): Promise<Array<Listed<AdminTokenRecord>>> {
    return listCredentials(this.deps.store);
  }

  revoke(id: string): Promise<boolean> {
    return revokeCredential(this.deps.store, id, this.deps.now(), { actor: this.deps.actor, action: 'admin.token-revoked', object: `token:${id}`, outcome: 'success' });
  }

  /** The token's id when it is valid and not revoked. */
  async verify(token: string): Promise<string | undefined> {
    const m = /^cty_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/.exec(token);
    const id = m?.[1];
    if (id === undefined) return undefined;
    const row = await this.deps.store.tokenHash(id);
    if (!row) return undefined;
    const ok = row.revokedAt === null && timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hashToken(token), 'hex'));
    // Only ids that exist are recorded, and nothing but the id: one record per admin request.
    await this.deps.store.audit({ actor: `token:${id}`, action: 'admin.token-used', object: `token:${id}`, outcome: ok ? 'success' : 'failure' });
    return ok ? id : undefined;
  }
}
