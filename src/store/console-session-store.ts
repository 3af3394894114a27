import type { ConsoleSessionAdminStore, ConsoleSessionRecord, ConsoleSessionSelector, ConsoleSessionStore, PendingLogin } from '../admin/store.ts';
import { isTokenRole } from '../admin/roles.ts';
import type { AuditEvent, AuditRecorder } from '../audit/log.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';

interface SessionRow {
  id_hash: string;
  kind: string;
  subject: string;
  role: string;
  csrf_secret: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

const COLUMNS = 'id_hash, kind, subject, role, csrf_secret, created_at, last_seen_at, expires_at';

/** A stored row, or undefined when it names a kind or role this version does not know (it grants nothing). */
function toRecord(r: SessionRow | undefined): ConsoleSessionRecord | undefined {
  if (r === undefined || !isTokenRole(r.role) || (r.kind !== 'token' && r.kind !== 'oidc')) return undefined;
  return {
    idHash: r.id_hash, kind: r.kind, subject: r.subject, role: r.role, csrfSecret: r.csrf_secret,
    createdAt: Number(r.created_at), lastSeenAt: Number(r.last_seen_at), expiresAt: Number(r.expires_at),
  };
}

/** Web console sessions in `console_sessions`, read by whichever node a browser reaches. */
export class SqlConsoleSessionStore implements ConsoleSessionStore, ConsoleSessionAdminStore {
  constructor(
    private readonly db: Database,
    private readonly q: Queryable = db,
    private readonly recorder: AuditRecorder | undefined = undefined,
  ) {}

  transaction<T>(fn: (store: ConsoleSessionAdminStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlConsoleSessionStore(this.db, tx, this.recorder)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async live(now: number, idleBefore: number): Promise<ConsoleSessionRecord[]> {
    const rows = await this.q.query<SessionRow>(
      `SELECT s.id_hash, s.kind, s.subject, s.role, s.csrf_secret, s.created_at, s.last_seen_at, s.expires_at FROM console_sessions s LEFT JOIN admin_tokens t ON s.kind = 'token' AND t.id = s.subject
       WHERE s.expires_at > ? AND s.last_seen_at >= ? AND (s.kind <> 'token' OR (t.id IS NOT NULL AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)))
       ORDER BY s.created_at, s.id_hash`,
      [now, idleBefore, now],
    );
    return rows.map(toRecord).filter((r) => r !== undefined);
  }

  end(selector: ConsoleSessionSelector): Promise<number> {
    if ('all' in selector) return this.q.exec('DELETE FROM console_sessions');
    if ('subject' in selector) return this.q.exec('DELETE FROM console_sessions WHERE subject = ?', [selector.subject]);
    // Handles are lowercase hex (checked by the caller), so LIKE sees no wildcard in them.
    return this.q.exec('DELETE FROM console_sessions WHERE id_hash LIKE ?', [`${selector.handle}%`]);
  }

  async insert(s: ConsoleSessionRecord): Promise<void> {
    await this.q.exec(
      'INSERT INTO console_sessions (id_hash, kind, subject, role, csrf_secret, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [s.idHash, s.kind, s.subject, s.role, s.csrfSecret, s.createdAt, s.lastSeenAt, s.expiresAt],
    );
  }

  async session(idHash: string): Promise<ConsoleSessionRecord | undefined> {
    const [r] = await this.q.query<SessionRow>(`SELECT ${COLUMNS} FROM console_sessions WHERE id_hash = ?`, [idHash]);
    return toRecord(r);
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    await this.q.exec('UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?', [lastSeenAt, idHash, lastSeenAt]);
  }

  async remove(idHash: string): Promise<void> {
    await this.q.exec('DELETE FROM console_sessions WHERE id_hash = ?', [idHash]);
  }

  async prune(now: number, idleBefore: number): Promise<number> {
    await this.q.exec('DELETE FROM console_logins WHERE expires_at <= ?', [now]);
    return this.q.exec('DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at < ?', [now, idleBefore]);
  }

  async insertLogin(l: PendingLogin): Promise<void> {
    await this.q.exec('INSERT INTO console_logins (state_hash, browser_hash, nonce, code_verifier, expires_at) VALUES (?, ?, ?, ?, ?)', [l.stateHash, l.browserHash, l.nonce, l.codeVerifier, l.expiresAt]);
  }

  async takeLogin(stateHash: string, now: number): Promise<PendingLogin | undefined> {
    const [r] = await this.q.query<{ state_hash: string; browser_hash: string; nonce: string; code_verifier: string; expires_at: number }>(
      'SELECT state_hash, browser_hash, nonce, code_verifier, expires_at FROM console_logins WHERE state_hash = ?', [stateHash],
    );
    // Whoever deletes the row uses it: a replayed answer, on this node or another, finds nothing.
    if (r === undefined || (await this.q.exec('DELETE FROM console_logins WHERE state_hash = ?', [stateHash])) !== 1 || Number(r.expires_at) <= now) return undefined;
    return { stateHash: r.state_hash, browserHash: r.browser_hash, nonce: r.nonce, codeVerifier: r.code_verifier, expiresAt: Number(r.expires_at) };
  }
}
