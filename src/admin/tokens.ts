import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createCredential, listCredentials, revokeCredential, type Listed } from './credentials.ts';
import { AppError } from '../errors.ts';
import { isTokenRole, ROLE_PERMISSIONS, type Caller, type Permission } from './roles.ts';
import type { AdminTokenRecord, AdminTokenStore, StoredToken } from './store.ts';

const PREFIX = 'cty_';
/** A token's last use is written at most this often, whichever node serves it: no write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** A break-glass token is for an emergency, never a standing credential. */
const BREAK_GLASS_MAX_TTL_MS = 24 * 3_600_000;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface AdminTokenDeps {
  store: AdminTokenStore;
  now: () => number;
  /** Who creations and revocations are recorded as: `cli:<user>` or `admin-api`. */
  actor: string;
}

export interface TokenOptions {
  /** A built-in role or a custom role's name; `admin` by default. */
  role?: string;
  /** Makes it expire (it is refused from then on, like a revoked one). */
  ttlMs?: number;
  /** Limits it to this admin path and what is below it, e.g. `/admin/secrets/data/team-a`. */
  pathPrefix?: string;
  /** An emergency admin token: a ttl of at most 24 h is required, and every use is audited and logged as a warning. */
  breakGlass?: boolean;
}

/** A path scope as stored: an admin path (`/admin/…` or `/metrics`) of plain segments, without a trailing slash. */
function checkPathPrefix(text: string): string {
  const prefix = text.length > 1 ? text.replace(/\/+$/, '') : text;
  const segments = prefix.split('/').slice(1);
  const plain = /^[A-Za-z0-9._~-]+$/;
  const fits = prefix.length <= 200 && /^\/(admin|metrics)(\/|$)/.test(prefix) && segments.every((s) => plain.test(s) && s !== '.' && s !== '..');
  if (!fits) throw new AppError('malformed', `--path-prefix "${text.slice(0, 60)}" must be an admin API path such as /admin/secrets/data/team-a: starting with /admin/ (or /metrics), plain segments, no "." or ".."`);
  return prefix;
}

function checkBreakGlass(role: string, ttlMs: number | undefined): void {
  if (role !== 'admin') throw new AppError('malformed', `A break-glass token has the admin role; drop --role ${role}`);
  if (ttlMs === undefined || ttlMs > BREAK_GLASS_MAX_TTL_MS) throw new AppError('malformed', 'A break-glass token needs --ttl of at most 24h, e.g. --ttl 1h');
}

/** Admin bearer tokens: only a SHA-256 hash is stored; the token is shown once at creation. */
export class AdminTokens {
  constructor(private readonly deps: AdminTokenDeps) {}

  /** A new token, shown once. */
  async create(name: string, options: TokenOptions = {}): Promise<{ id: string; token: string; role: string; expiresAt: string | null; pathPrefix: string | null; breakGlass: boolean }> {
    const role = options.role ?? 'admin';
    const { ttlMs } = options;
    if (ttlMs !== undefined && !(ttlMs > 0)) throw new AppError('malformed', 'A token\'s lifetime must be positive, e.g. 30d or 12h');
    if (!isTokenRole(role) && !(await this.deps.store.customRole(role))) throw new AppError('malformed', `No role "${role}": use a built-in role or create it first with "certainty role create ${role} --permission …"`);
    const breakGlass = options.breakGlass === true;
    if (breakGlass) checkBreakGlass(role, ttlMs);
    const pathPrefix = options.pathPrefix === undefined ? null : checkPathPrefix(options.pathPrefix);
    const id = randomBytes(6).toString('hex');
    const token = `${PREFIX}${id}_${randomBytes(24).toString('base64url')}`;
    const createdAt = this.deps.now();
    const expiresAt = ttlMs === undefined ? null : createdAt + ttlMs;
    const details = {
      name, role, ...(expiresAt === null ? {} : { expiresAt: new Date(expiresAt).toISOString() }), ...(pathPrefix === null ? {} : { pathPrefix }), ...(breakGlass ? { breakGlass } : {}),
    };
    await createCredential(this.deps.store, { id, name, hash: hashToken(token), role, createdAt, expiresAt, pathPrefix, breakGlass }, {
      actor: this.deps.actor, action: 'admin.token-created', object: `token:${id}`, outcome: 'success', details,
    });
    return { id, token, role, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(), pathPrefix, breakGlass };
  }

  /** Every token, oldest first, times as ISO 8601 (`expiresAt` null when it never expires, `lastUsedAt` when never used). */
  async list(): Promise<Array<Omit<Listed<AdminTokenRecord>, 'expiresAt' | 'lastUsedAt'> & { expiresAt: string | null; lastUsedAt: string | null }>> {
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    return (await listCredentials(this.deps.store)).map((t) => ({ ...t, expiresAt: iso(t.expiresAt), lastUsedAt: iso(t.lastUsedAt) }));
  }

  revoke(id: string): Promise<boolean> {
    return revokeCredential(this.deps.store, id, this.deps.now(), { actor: this.deps.actor, action: 'admin.token-revoked', object: `token:${id}`, outcome: 'success' });
  }

  /**
   * Who the token is when it is valid: not revoked, not expired, its hash matches, and its role
   * still exists (a custom role is read now, for this request). Records the use, and the last-use
   * time when a minute has passed since the one stored.
   */
  async verify(token: string): Promise<Caller | undefined> {
    const m = /^cty_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/.exec(token);
    const id = m?.[1];
    if (id === undefined) return undefined;
    const row = await this.deps.store.tokenHash(id);
    if (!row) return undefined;
    const now = this.deps.now();
    const live = row.revokedAt === null && (row.expiresAt === null || row.expiresAt > now);
    const ok = live && timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hashToken(token), 'hex'));
    // Only ids that exist are recorded, and nothing but the id: one record per admin request.
    await this.deps.store.audit({
      actor: `token:${id}`, action: 'admin.token-used', object: `token:${id}`, outcome: ok ? 'success' : 'failure', ...(row.breakGlass ? { details: { breakGlass: true } } : {}),
    });
    if (!ok) return undefined;
    if (row.lastUsedAt === null || now - row.lastUsedAt >= LAST_USED_RESOLUTION_MS) await this.deps.store.touch(id, now, now - LAST_USED_RESOLUTION_MS);
    return {
      tokenId: id, role: row.role, permissions: await this.permissions(id, row), tokenName: row.name,
      ...(row.breakGlass ? { breakGlass: true } : {}), ...(row.pathPrefix === null ? {} : { pathPrefix: row.pathPrefix }),
    };
  }

  private async permissions(id: string, row: StoredToken): Promise<readonly Permission[]> {
    if (isTokenRole(row.role)) return ROLE_PERMISSIONS[row.role];
    const custom = await this.deps.store.customRole(row.role);
    if (!custom) throw new AppError('unauthorized', `Token ${id}'s role "${row.role}" was removed, so the token grants nothing; create the role again ("certainty role create ${row.role} --permission …") or give the holder a new token`);
    return custom.permissions;
  }
}
