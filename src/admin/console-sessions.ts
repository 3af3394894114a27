import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditEvent } from '../audit/log.ts';
import { isTokenRole, type Caller, type TokenRole } from './roles.ts';
import type { ConsoleSessionRecord, ConsoleSessionStore, StoredToken } from './store.ts';

/** Signed out after this long without a request. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** Signed out this long after signing in, however active. */
export const SESSION_MAX_MS = 12 * 3_600_000;
/** A session's last-seen time is written at most this often: no write per page. */
const TOUCH_EVERY_MS = 60_000;

export interface ConsoleSessionDeps {
  store: ConsoleSessionStore;
  /** Checks an admin token presented at sign-in (the admin API's own check, audited as a use). */
  verifyToken: (token: string) => Promise<Caller | undefined>;
  /** The token's stored state, read on every request so a revoked or expired token ends its sessions. */
  tokenHash: (id: string) => Promise<StoredToken | undefined>;
  now: () => number;
  /** Records single sign-on sign-ins and refusals (a token sign-in is already recorded as the token's use). */
  audit: (event: AuditEvent) => Promise<void>;
}

/** A signed-in console user as pages and actions see them. */
export interface ConsoleSession {
  caller: Caller;
  /** Shown to the user: the token id or the OpenID Connect subject. */
  subject: string;
  kind: ConsoleSessionRecord['kind'];
  /** The synchronizer token every form carries. */
  csrf: string;
  expiresAt: number;
}

const hashId = (id: string): string => createHash('sha256').update(id).digest('hex');

/**
 * Console sessions: a random id in the browser's cookie, its SHA-256 hash and everything else in
 * the database, so any node can serve any page and a stolen database row opens nothing.
 */
export class ConsoleSessions {
  constructor(private readonly deps: ConsoleSessionDeps) {}

  /**
   * A new session for a valid admin token: the cookie value, or why the token cannot sign in. Only
   * tokens with a built-in role and no path scope, and never a break-glass token: the console
   * shows whole pages of the inventory, which a scoped token could not read through the API.
   */
  async signInWithToken(token: string): Promise<{ id: string } | { refused: string }> {
    const caller = await this.deps.verifyToken(token.trim());
    if (caller === undefined) return { refused: 'That token is not valid: it may be mistyped, revoked or expired.' };
    if (!isTokenRole(caller.role) || caller.pathPrefix !== undefined || caller.breakGlass === true) {
      return { refused: 'The console signs in tokens with a built-in role, no path scope and no break-glass flag; use the admin API or CLI with this token.' };
    }
    return { id: await this.open('token', caller.tokenId, caller.role) };
  }

  /** A new session for a subject the OpenID provider vouched for, with the role its groups map to. */
  async signInAs(subject: string, role: TokenRole): Promise<string> {
    const id = await this.open('oidc', subject, role);
    await this.deps.audit({ actor: subject, action: 'console.signed-in', object: subject, outcome: 'success', details: { role } });
    return id;
  }

  /** Records a refused single sign-on (why, in the words the user was shown). */
  refused(reason: string): Promise<void> {
    return this.deps.audit({ actor: 'console', action: 'console.sign-in-refused', object: 'console', outcome: 'failure', details: { reason: reason.slice(0, 300) } });
  }

  private async open(kind: ConsoleSessionRecord['kind'], subject: string, role: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const now = this.deps.now();
    await this.deps.store.prune(now, now - SESSION_IDLE_MS);
    await this.deps.store.insert({
      idHash: hashId(id), kind, subject, role, csrfSecret: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now, expiresAt: now + SESSION_MAX_MS,
    });
    return id;
  }

  /** The session the cookie names, if it is still valid (and, for a token session, its token too). */
  async resolve(cookieValue: string | undefined): Promise<ConsoleSession | undefined> {
    if (cookieValue === undefined || !/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return undefined;
    const row = await this.deps.store.session(hashId(cookieValue));
    const now = this.deps.now();
    if (row === undefined || row.expiresAt <= now || row.lastSeenAt + SESSION_IDLE_MS <= now) return undefined;
    const role = row.kind === 'token' ? await this.liveTokenRole(row.subject) : row.role;
    if (role === undefined) return undefined;
    if (now - row.lastSeenAt >= TOUCH_EVERY_MS) await this.deps.store.touch(row.idHash, now);
    // A token session takes the token's role as it is now, so a changed role applies at once.
    return { caller: { tokenId: row.subject, role }, subject: row.subject, kind: row.kind, csrf: row.csrfSecret, expiresAt: row.expiresAt };
  }

  private async liveTokenRole(id: string): Promise<string | undefined> {
    const t = await this.deps.tokenHash(id);
    const live = t !== undefined && t.revokedAt === null && (t.expiresAt === null || t.expiresAt > this.deps.now());
    return live ? t.role : undefined;
  }

  async signOut(cookieValue: string | undefined): Promise<void> {
    if (cookieValue !== undefined) await this.deps.store.remove(hashId(cookieValue));
  }
}

/** Whether a form's CSRF field is the session's synchronizer token (compared in constant time). */
export function csrfMatches(session: ConsoleSession, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
