import type {
  AccountOverview, AdminStore, AdminTokenRecord, AdminTokenStore, CertificateFilter, CertificateOverview, CredentialStore, EabKeyRecord, EabKeyStore,
  CustomRole, InventoryCounts, NewAdminToken, NewEabKey, StoredToken,
} from '../admin/store.ts';
import type { AuditEvent, AuditRecorder } from '../audit/log.ts';
import { SqlAdminRoleStore } from './admin-role-store.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';
import { placeholders } from './sql-text.ts';

interface AccountRow {
  id: string;
  status: string;
  contact: string;
  eab_kid: string | null;
  thumbprint: string;
  created_at: number;
  orders: number;
  certificates: number;
}

interface CertRow {
  id: string;
  serial: string;
  identifiers: string;
  account_id: string;
  not_before: number;
  not_after: number;
  revoked_at: number | null;
  revocation_reason: number | null;
  replaced_by: string | null;
}

const CERT_COLS = 'id, serial, identifiers, account_id, not_before, not_after, revoked_at, revocation_reason, replaced_by';
const num = (v: number | null): number | null => (v === null ? null : Number(v));

function toCertificate(r: CertRow): CertificateOverview {
  return {
    id: r.id, serial: r.serial, names: (JSON.parse(r.identifiers) as Array<{ value: string }>).map((i) => i.value), accountId: r.account_id,
    notBefore: Number(r.not_before), notAfter: Number(r.not_after), revokedAt: num(r.revoked_at), revocationReason: num(r.revocation_reason), replacedBy: r.replaced_by,
  };
}

/** Accounts and certificates as operators see them, over the ACME tables. */
export class SqlAdminStore implements AdminStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db, private readonly recorder: AuditRecorder | undefined = undefined) {}

  transaction<T>(fn: (store: AdminStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlAdminStore(this.db, tx, this.recorder)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async accounts(limit: number, id?: string): Promise<AccountOverview[]> {
    const rows = await this.q.query<AccountRow>(
      `SELECT a.id, a.status, a.contact, a.eab_kid, a.thumbprint, a.created_at,
        (SELECT COUNT(*) FROM orders o WHERE o.account_id = a.id) AS orders,
        (SELECT COUNT(*) FROM certificates c WHERE c.account_id = a.id) AS certificates
       FROM accounts a ${id === undefined ? '' : 'WHERE a.id = ?'} ORDER BY a.created_at DESC LIMIT ?`,
      [...(id === undefined ? [] : [id]), limit],
    );
    return rows.map((r) => ({
      id: r.id, status: r.status, contact: JSON.parse(r.contact) as string[], eabKid: r.eab_kid, createdAt: Number(r.created_at),
      orders: Number(r.orders), certificates: Number(r.certificates), keyThumbprint: r.thumbprint,
    }));
  }

  async deactivateAccount(id: string): Promise<boolean> {
    return (await this.q.exec(`UPDATE accounts SET status = 'deactivated', version = version + 1 WHERE id = ? AND status = 'valid'`, [id])) === 1;
  }

  async certificates(filter: CertificateFilter): Promise<CertificateOverview[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.name !== undefined) {
      where.push('id IN (SELECT certificate_id FROM certificate_names WHERE name = ?)');
      params.push(filter.name);
    }
    if (filter.revoked !== undefined) where.push(filter.revoked ? 'revoked_at IS NOT NULL' : 'revoked_at IS NULL');
    const rows = await this.q.query<CertRow>(
      `SELECT ${CERT_COLS} FROM certificates ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`,
      [...params, filter.limit],
    );
    return rows.map(toCertificate);
  }

  async certificateBySerial(serial: string): Promise<(CertificateOverview & { der: Buffer }) | undefined> {
    const rows = await this.q.query<CertRow & { der: Buffer }>(`SELECT ${CERT_COLS}, der FROM certificates WHERE serial = ?`, [serial]);
    const row = rows[0];
    return row && { ...toCertificate(row), der: Buffer.from(row.der) };
  }

  async counts(): Promise<InventoryCounts> {
    const q = async (sql: string): Promise<number> => Number((await this.q.query<{ n: number }>(sql))[0]?.n ?? 0);
    return {
      accounts: await q('SELECT COUNT(*) AS n FROM accounts'),
      orders: await q('SELECT COUNT(*) AS n FROM orders'),
      pendingOrders: await q(`SELECT COUNT(*) AS n FROM orders WHERE status IN ('pending', 'ready', 'processing')`),
      certificates: await q('SELECT COUNT(*) AS n FROM certificates'),
      revokedCertificates: await q('SELECT COUNT(*) AS n FROM certificates WHERE revoked_at IS NOT NULL'),
    };
  }
}

/** Where a credential kind lives: its table, key column, and how to insert and list it. */
interface CredentialTable<N, L> {
  table: string;
  key: string;
  insert: { columns: string[]; values: (c: N) => unknown[] };
  listColumns: string;
  toRecord: (row: Record<string, unknown>) => L;
}

/** The shared half of the EAB key and admin token stores: insert, list and revoke on one table. */
abstract class SqlCredentialStore<N, L extends { createdAt: number; revokedAt: number | null }> implements CredentialStore<N, L> {
  constructor(
    protected readonly db: Database,
    protected readonly q: Queryable,
    protected readonly recorder: AuditRecorder | undefined,
    private readonly t: CredentialTable<N, L>,
  ) {}

  protected abstract bound(tx: Queryable): CredentialStore<N, L>;

  transaction<T>(fn: (store: CredentialStore<N, L>) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(this.bound(tx)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async insert(credential: N): Promise<void> {
    const { columns, values } = this.t.insert;
    await this.q.exec(`INSERT INTO ${this.t.table} (${columns.join(', ')}) VALUES (${placeholders(columns.length)})`, values(credential));
  }

  async list(): Promise<L[]> {
    const rows = await this.q.query(`SELECT ${this.t.listColumns} FROM ${this.t.table} ORDER BY created_at`);
    return rows.map(this.t.toRecord);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return (await this.q.exec(`UPDATE ${this.t.table} SET revoked_at = ? WHERE ${this.t.key} = ? AND revoked_at IS NULL`, [at, id])) === 1;
  }
}

const revokedAt = (v: unknown): number | null => (v === null ? null : Number(v));

const EAB_KEYS: CredentialTable<NewEabKey, EabKeyRecord> = {
  table: 'eab_keys', key: 'kid',
  insert: { columns: ['kid', 'label', 'hmac_wrapped', 'created_at'], values: (k) => [k.kid, k.label, k.hmacWrapped, k.createdAt] },
  listColumns: 'kid, label, created_at, account_id, revoked_at',
  toRecord: (r) => ({
    kid: String(r.kid), label: String(r.label), createdAt: Number(r.created_at), accountId: r.account_id === null ? null : String(r.account_id), revokedAt: revokedAt(r.revoked_at),
  }),
};

/** The `eab_keys` table (binding a key to an account is the ACME store's: src/store/acme-store.ts). */
export class SqlEabKeyStore extends SqlCredentialStore<NewEabKey, EabKeyRecord> implements EabKeyStore {
  constructor(db: Database, q: Queryable = db, recorder: AuditRecorder | undefined = undefined) {
    super(db, q, recorder, EAB_KEYS);
  }

  protected bound(tx: Queryable): SqlEabKeyStore {
    return new SqlEabKeyStore(this.db, tx, this.recorder);
  }

  async unusedHmacKey(kid: string): Promise<Buffer | undefined> {
    const rows = await this.q.query<{ hmac_wrapped: Buffer }>('SELECT hmac_wrapped FROM eab_keys WHERE kid = ? AND revoked_at IS NULL AND account_id IS NULL', [kid]);
    return rows[0]?.hmac_wrapped;
  }
}

const ADMIN_TOKENS: CredentialTable<NewAdminToken, AdminTokenRecord> = {
  table: 'admin_tokens', key: 'id',
  insert: {
    columns: ['id', 'name', 'hash', 'role', 'created_at', 'expires_at', 'path_prefix', 'break_glass'],
    values: (t) => [t.id, t.name, t.hash, t.role, t.createdAt, t.expiresAt, t.pathPrefix, t.breakGlass ? 1 : 0],
  },
  listColumns: 'id, name, role, created_at, expires_at, revoked_at, last_used_at, path_prefix, break_glass',
  toRecord: (r) => ({
    id: String(r.id), name: String(r.name), role: String(r.role), createdAt: Number(r.created_at), expiresAt: optionalTime(r.expires_at), revokedAt: revokedAt(r.revoked_at),
    lastUsedAt: optionalTime(r.last_used_at), pathPrefix: r.path_prefix === null ? null : String(r.path_prefix), breakGlass: Number(r.break_glass) === 1,
  }),
};

const optionalTime = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The `admin_tokens` table: token hashes, never tokens. */
export class SqlAdminTokenStore extends SqlCredentialStore<NewAdminToken, AdminTokenRecord> implements AdminTokenStore {
  constructor(db: Database, q: Queryable = db, recorder: AuditRecorder | undefined = undefined) {
    super(db, q, recorder, ADMIN_TOKENS);
  }

  protected bound(tx: Queryable): SqlAdminTokenStore {
    return new SqlAdminTokenStore(this.db, tx, this.recorder);
  }

  async tokenHash(id: string): Promise<StoredToken | undefined> {
    const rows = await this.q.query<Record<string, unknown> & { hash: string }>(`SELECT hash, ${ADMIN_TOKENS.listColumns} FROM admin_tokens WHERE id = ?`, [id]);
    const row = rows[0];
    if (!row) return undefined;
    const { hash, name, role, revokedAt: revoked, expiresAt, lastUsedAt, pathPrefix, breakGlass } = { hash: row.hash, ...ADMIN_TOKENS.toRecord(row) };
    return { hash, name, role, revokedAt: revoked, expiresAt, lastUsedAt, pathPrefix, breakGlass };
  }

  async touch(id: string, at: number, since: number): Promise<void> {
    await this.q.exec('UPDATE admin_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [at, id, since]);
  }

  customRole(name: string): Promise<CustomRole | undefined> {
    return new SqlAdminRoleStore(this.db, this.q).role(name);
  }
}
