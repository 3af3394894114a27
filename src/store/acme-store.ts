import type { AcmeStore, OrderCursor } from '../acme/store.ts';
import type { Account, Authorization, Challenge, IssuedCertificate, Order } from '../acme/types.ts';
import {
  fromAccount, fromAuthorization, fromCertificate, fromChallenge, fromOrder, toAccount, toAuthorization, toCertificate,
  toChallenge, toOrder, type AccountRow, type AuthorizationRow, type CertificateRow, type ChallengeRow, type OrderRow,
} from './acme-rows.ts';
import type { AuditEvent, AuditRecorder } from '../audit/log.ts';
import { auditChainOn } from './audit-store.ts';
import type { EnqueueOptions, Job } from '../jobs/queue.ts';
import { isUniqueViolation, type Database, type Queryable } from './db.ts';
import { placeholders } from './sql-text.ts';
import { SqlJobStore } from './job-store.ts';

const ACCOUNT_COLS = 'id, thumbprint, jwk, status, contact, eab_kid, created_at, version';
const ORDER_COLS = 'id, account_id, status, identifiers, not_before, not_after, expires_at, error, certificate_id, replaces, created_at, version';
const AUTHZ_COLS = 'id, order_id, account_id, identifier_type, identifier_value, wildcard, status, expires_at, created_at, version';
const CHALL_COLS = 'id, authz_id, type, token, status, validated_at, error, validation_record, updated_at, version';
const CERT_COLS = 'id, serial, account_id, order_id, issuer_id, der, chain_pem, identifiers, not_before, not_after, ari_id, replaced_by, revoked_at, revocation_reason, created_at';

/** One row per (authorization, challenge) pair: an authorization and its challenges in one statement. */
const AUTHZ_WITH_CHALLENGES = `SELECT ${AUTHZ_COLS.split(', ').map((c) => `a.${c}`).join(', ')}, ${
  CHALL_COLS.split(', ').filter((c) => c !== 'authz_id').map((c) => `c.${c} AS c_${c}`).join(', ')}
  FROM authorizations a LEFT JOIN challenges c ON c.authz_id = a.id`;

type AuthzChallengeRow = AuthorizationRow & { [K in Exclude<keyof ChallengeRow, 'authz_id'> as `c_${K}`]: ChallengeRow[K] | null };

/** Folds joined rows (ordered by authorization, then challenge type) back into authorizations. */
function authorizationsOf(rows: AuthzChallengeRow[]): Authorization[] {
  const byId = new Map<string, { row: AuthorizationRow; challenges: ChallengeRow[] }>();
  for (const r of rows) {
    let entry = byId.get(r.id);
    if (entry === undefined) {
      entry = { row: r, challenges: [] };
      byId.set(r.id, entry);
    }
    if (r.c_id === null) continue;
    entry.challenges.push({
      id: r.c_id, authz_id: r.id, type: r.c_type, token: r.c_token, status: r.c_status, validated_at: r.c_validated_at,
      error: r.c_error, validation_record: r.c_validation_record, updated_at: r.c_updated_at, version: r.c_version,
    } as ChallengeRow);
  }
  return [...byId.values()].map((e) => toAuthorization(e.row, e.challenges.map(toChallenge)));
}

interface Window {
  count: number;
  oldest: number | null;
}

/** AcmeStore over SQL, the same statements on SQLite and PostgreSQL. Updates are compare-and-swap on `version`. */
export class SqlAcmeStore implements AcmeStore {
  /** The job queue's statements on the same connection or transaction. */
  private readonly jobs: SqlJobStore;

  constructor(
    private readonly db: Database,
    private readonly recorder: AuditRecorder | undefined = undefined,
    private readonly q: Queryable = db,
  ) {
    this.jobs = new SqlJobStore(db, q);
  }

  transaction<T>(fn: (store: AcmeStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlAcmeStore(this.db, this.recorder, tx)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  enqueueJob(kind: string, payload: Record<string, unknown>, options: EnqueueOptions): Promise<Job | undefined> {
    return this.jobs.enqueue(kind, payload, options);
  }

  completeJob(id: string, owner: string): Promise<boolean> {
    return this.jobs.complete(id, owner);
  }

  async pendingValidations(accountId: string): Promise<number> {
    await this.q.query(`SELECT id FROM accounts WHERE id = ? ${this.db.dialect.forUpdate}`, [accountId]);
    return this.jobs.pendingForKey(accountId);
  }

  async insertAccount(a: Account): Promise<boolean> {
    // DO NOTHING rather than a caught violation: the caller's transaction stays usable on PostgreSQL.
    return (await this.q.exec(`INSERT INTO accounts (${ACCOUNT_COLS}) VALUES (${placeholders(8)}) ON CONFLICT DO NOTHING`, fromAccount(a))) === 1;
  }

  async bindEabKey(kid: string, accountId: string): Promise<boolean> {
    const n = await this.q.exec('UPDATE eab_keys SET account_id = ? WHERE kid = ? AND account_id IS NULL AND revoked_at IS NULL', [accountId, kid]);
    return n === 1;
  }

  async accountById(id: string): Promise<Account | undefined> {
    const rows = await this.q.query<AccountRow>(`SELECT ${ACCOUNT_COLS} FROM accounts WHERE id = ?`, [id]);
    return rows[0] && toAccount(rows[0]);
  }

  async accountByThumbprint(thumbprint: string): Promise<Account | undefined> {
    const rows = await this.q.query<AccountRow>(`SELECT ${ACCOUNT_COLS} FROM accounts WHERE thumbprint = ?`, [thumbprint]);
    return rows[0] && toAccount(rows[0]);
  }

  async updateAccount(a: Account): Promise<'updated' | 'changed' | 'keyInUse'> {
    try {
      const n = await this.q.exec(
        'UPDATE accounts SET thumbprint = ?, jwk = ?, status = ?, contact = ?, version = version + 1 WHERE id = ? AND version = ?',
        [a.thumbprint, JSON.stringify(a.jwk), a.status, JSON.stringify(a.contact), a.id, a.version],
      );
      return n === 1 ? 'updated' : 'changed';
    } catch (err) {
      // The thumbprint is unique: another account took the same new key.
      if (isUniqueViolation(err)) return 'keyInUse';
      throw err;
    }
  }

  async redeemNonces(nonces: ReadonlyArray<{ nonce: string; expiresAt: number }>): Promise<Set<string>> {
    if (nonces.length === 0) return new Set();
    const rows = await this.q.query<{ nonce: string }>(
      `INSERT INTO used_nonces (nonce, expires_at) VALUES ${nonces.map(() => '(?, ?)').join(', ')} ON CONFLICT DO NOTHING RETURNING nonce`,
      nonces.flatMap((n) => [n.nonce, n.expiresAt]),
    );
    return new Set(rows.map((r) => r.nonce));
  }

  pruneNonces(now: number): Promise<number> {
    return this.q.exec('DELETE FROM used_nonces WHERE expires_at < ?', [now]);
  }

  async insertOrder(order: Order, authorizations: Authorization[]): Promise<void> {
    await this.q.exec(`INSERT INTO orders (${ORDER_COLS}) VALUES (${placeholders(12)})`, fromOrder(order));
    // One multi-row statement per table: a statement is a round trip on PostgreSQL.
    if (authorizations.length === 0) return;
    const authzValues = authorizations.map(() => `(${placeholders(10)})`).join(', ');
    await this.q.exec(`INSERT INTO authorizations (${AUTHZ_COLS}) VALUES ${authzValues}`, authorizations.flatMap(fromAuthorization));
    const challenges = authorizations.flatMap((a) => a.challenges);
    if (challenges.length === 0) return;
    const challValues = challenges.map(() => `(${placeholders(10)})`).join(', ');
    await this.q.exec(`INSERT INTO challenges (${CHALL_COLS}) VALUES ${challValues}`, challenges.flatMap(fromChallenge));
  }

  async orderById(id: string): Promise<Order | undefined> {
    const rows = await this.q.query<OrderRow>(`SELECT ${ORDER_COLS} FROM orders WHERE id = ?`, [id]);
    return rows[0] && toOrder(rows[0]);
  }

  async lockOrder(id: string): Promise<Order | undefined> {
    const rows = await this.q.query<OrderRow>(`SELECT ${ORDER_COLS} FROM orders WHERE id = ? ${this.db.dialect.forUpdate}`, [id]);
    return rows[0] && toOrder(rows[0]);
  }

  async updateOrder(o: Order): Promise<boolean> {
    const n = await this.q.exec(
      'UPDATE orders SET status = ?, error = ?, certificate_id = ?, version = version + 1 WHERE id = ? AND version = ?',
      [o.status, o.error === null ? null : JSON.stringify(o.error), o.certificateId, o.id, o.version],
    );
    return n === 1;
  }

  async orderIdsForAccount(accountId: string, after: OrderCursor | null, limit: number): Promise<OrderCursor[]> {
    const at = after ?? { createdAt: -1, id: '' };
    const rows = await this.q.query<{ id: string; created_at: number }>(
      `SELECT id, created_at FROM orders WHERE account_id = ? AND (created_at > ? OR (created_at = ? AND id > ?))
       ORDER BY created_at, id LIMIT ?`,
      [accountId, at.createdAt, at.createdAt, at.id, limit],
    );
    return rows.map((r) => ({ id: r.id, createdAt: Number(r.created_at) }));
  }

  async authorizationsForOrder(orderId: string): Promise<Authorization[]> {
    const rows = await this.q.query<AuthzChallengeRow>(`${AUTHZ_WITH_CHALLENGES} WHERE a.order_id = ? ORDER BY a.created_at, a.id, c.type`, [orderId]);
    return authorizationsOf(rows);
  }

  async authorizationById(id: string): Promise<Authorization | undefined> {
    const rows = await this.q.query<AuthzChallengeRow>(`${AUTHZ_WITH_CHALLENGES} WHERE a.id = ? ORDER BY c.type`, [id]);
    return authorizationsOf(rows)[0];
  }

  async authorizationByChallengeId(challengeId: string): Promise<Authorization | undefined> {
    const rows = await this.q.query<AuthzChallengeRow>(
      `${AUTHZ_WITH_CHALLENGES} WHERE a.id = (SELECT authz_id FROM challenges WHERE id = ?) ORDER BY c.type`,
      [challengeId],
    );
    return authorizationsOf(rows)[0];
  }

  async updateAuthorization(a: Authorization): Promise<boolean> {
    const n = await this.q.exec('UPDATE authorizations SET status = ?, version = version + 1 WHERE id = ? AND version = ?', [
      a.status, a.id, a.version,
    ]);
    return n === 1;
  }

  async challengeById(id: string): Promise<Challenge | undefined> {
    const rows = await this.q.query<ChallengeRow>(`SELECT ${CHALL_COLS} FROM challenges WHERE id = ?`, [id]);
    return rows[0] && toChallenge(rows[0]);
  }

  async updateChallenge(c: Challenge): Promise<boolean> {
    const n = await this.q.exec(
      `UPDATE challenges SET status = ?, validated_at = ?, error = ?, validation_record = ?, updated_at = ?, version = version + 1
       WHERE id = ? AND version = ?`,
      [
        c.status, c.validatedAt, c.error === null ? null : JSON.stringify(c.error),
        c.validationRecord === null ? null : JSON.stringify(c.validationRecord), c.updatedAt, c.id, c.version,
      ],
    );
    return n === 1;
  }

  async expireStale(now: number): Promise<number> {
    const orders = await this.q.exec(
      `UPDATE orders SET status = 'invalid', version = version + 1 WHERE status IN ('pending', 'ready') AND expires_at < ?`,
      [now],
    );
    const authz = await this.q.exec(
      `UPDATE authorizations SET status = 'expired', version = version + 1 WHERE status = 'pending' AND expires_at < ?`,
      [now],
    );
    return orders + authz;
  }

  async insertCertificate(c: IssuedCertificate): Promise<void> {
    await this.q.exec(`INSERT INTO certificates (${CERT_COLS}) VALUES (${placeholders(15)})`, fromCertificate(c));
    const names = [...new Set(c.identifiers.map((i) => i.value))];
    for (const name of names) {
      await this.q.exec('INSERT INTO certificate_names (name, certificate_id, created_at) VALUES (?, ?, ?)', [name, c.id, c.createdAt]);
    }
  }

  private async oneCert(where: string, value: string): Promise<IssuedCertificate | undefined> {
    const rows = await this.q.query<CertificateRow>(`SELECT ${CERT_COLS} FROM certificates WHERE ${where} = ?`, [value]);
    return rows[0] && toCertificate(rows[0]);
  }

  certificateById(id: string): Promise<IssuedCertificate | undefined> {
    return this.oneCert('id', id);
  }

  certificateBySerial(serial: string): Promise<IssuedCertificate | undefined> {
    return this.oneCert('serial', serial);
  }

  certificateByAriId(ariId: string): Promise<IssuedCertificate | undefined> {
    return this.oneCert('ari_id', ariId);
  }

  async markReplaced(certificateId: string, orderId: string): Promise<boolean> {
    const n = await this.q.exec('UPDATE certificates SET replaced_by = ? WHERE id = ? AND replaced_by IS NULL', [orderId, certificateId]);
    return n === 1;
  }

  async validAuthorizationNames(accountId: string, now: number): Promise<Set<string>> {
    const rows = await this.q.query<{ v: string }>(
      `SELECT DISTINCT CASE WHEN wildcard = 1 THEN '*.' || identifier_value ELSE identifier_value END AS v
       FROM authorizations WHERE account_id = ? AND status = 'valid' AND expires_at > ?`,
      [accountId, now],
    );
    return new Set(rows.map((r) => r.v));
  }

  private async window(sql: string, params: unknown[]): Promise<Window> {
    const rows = await this.q.query<{ n: number; oldest: number | null }>(sql, params);
    const r = rows[0];
    return { count: Number(r?.n ?? 0), oldest: r?.oldest === null || r?.oldest === undefined ? null : Number(r.oldest) };
  }

  countOrdersSince(accountId: string, since: number): Promise<Window> {
    return this.window('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM orders WHERE account_id = ? AND created_at > ?', [accountId, since]);
  }

  countCertificatesForNameSince(name: string, since: number): Promise<Window> {
    return this.window('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM certificate_names WHERE name = ? AND created_at > ?', [name, since]);
  }

  async insertAccountOrigin(accountId: string, addressGroup: string, at: number): Promise<void> {
    await this.q.exec('INSERT INTO account_origins (account_id, address, created_at) VALUES (?, ?, ?)', [accountId, addressGroup, at]);
  }

  countAccountsFromSince(addressGroup: string, since: number): Promise<Window> {
    return this.window('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM account_origins WHERE address = ? AND created_at > ?', [addressGroup, since]);
  }

  async foldOccurrence(key: string, windowMs: number, now: number): Promise<{ first: boolean; previous: number }> {
    // SET expressions read the row as it was, so previous_count takes the count of the window that ends.
    const rows = await this.q.query<{ count: number; previous_count: number }>(
      `INSERT INTO audit_folds (fold_key, window_start, count, previous_count) VALUES (?, ?, 1, 0)
       ON CONFLICT (fold_key) DO UPDATE SET
         previous_count = CASE WHEN audit_folds.window_start <= ? THEN audit_folds.count ELSE audit_folds.previous_count END,
         count = CASE WHEN audit_folds.window_start <= ? THEN 1 ELSE audit_folds.count + 1 END,
         window_start = CASE WHEN audit_folds.window_start <= ? THEN ? ELSE audit_folds.window_start END
       RETURNING count, previous_count`,
      [key, now, now - windowMs, now - windowMs, now - windowMs, now],
    );
    return { first: Number(rows[0]?.count) === 1, previous: Number(rows[0]?.previous_count ?? 0) };
  }

  countFailedAuthorizationsSince(accountId: string, since: number): Promise<Window> {
    return this.window(
      `SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM authorizations WHERE account_id = ? AND status = 'invalid' AND created_at > ?`,
      [accountId, since],
    );
  }
}
