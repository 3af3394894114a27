import { X509Certificate } from 'node:crypto';
import type { Authority } from '../ca/authority.ts';
import { AppError } from '../errors.ts';
import { recordAs, type AuditActor } from '../audit/log.ts';
import { recordRevocation } from '../store/crl-store.ts';
import type { Database } from '../store/db.ts';
import { ALLOWED_REASONS } from '../acme/revoke.ts';
import { normaliseSerial } from '../ca/pem.ts';

export interface AccountSummary {
  id: string;
  status: string;
  contact: string[];
  eabKid: string | null;
  createdAt: string;
  orders: number;
  certificates: number;
}

export interface CertificateSummary {
  serial: string;
  names: string[];
  accountId: string;
  notBefore: string;
  notAfter: string;
  revokedAt: string | null;
  revocationReason: number | null;
  replacedBy: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

interface CertRow {
  serial: string;
  identifiers: string;
  account_id: string;
  not_before: number;
  not_after: number;
  revoked_at: number | null;
  revocation_reason: number | null;
  replaced_by: string | null;
}

function certSummary(r: CertRow): CertificateSummary {
  return {
    serial: r.serial, names: (JSON.parse(r.identifiers) as Array<{ value: string }>).map((i) => i.value), accountId: r.account_id,
    notBefore: iso(r.not_before) as string, notAfter: iso(r.not_after) as string, revokedAt: iso(r.revoked_at),
    revocationReason: r.revocation_reason === null ? null : Number(r.revocation_reason), replacedBy: r.replaced_by,
  };
}

const CERT_COLS = 'serial, identifiers, account_id, not_before, not_after, revoked_at, revocation_reason, replaced_by';

/** Operator actions shared by the CLI and the admin HTTP API. */
export class AdminService {
  /** Changes are recorded in `audit` (in the same transaction) when given. */
  constructor(private readonly db: Database, private readonly now: () => number, private readonly audit?: AuditActor) {}

  listAccounts(limit = 100): Promise<Array<AccountSummary & { keyThumbprint: string }>> {
    return this.accounts('', [], limit);
  }

  private async accounts(where: string, params: unknown[], limit: number): Promise<Array<AccountSummary & { keyThumbprint: string }>> {
    const rows = await this.db.query<{ id: string; status: string; contact: string; eab_kid: string | null; thumbprint: string; created_at: number; orders: number; certificates: number }>(
      `SELECT a.id, a.status, a.contact, a.eab_kid, a.thumbprint, a.created_at,
        (SELECT COUNT(*) FROM orders o WHERE o.account_id = a.id) AS orders,
        (SELECT COUNT(*) FROM certificates c WHERE c.account_id = a.id) AS certificates
       FROM accounts a ${where} ORDER BY a.created_at DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => ({
      id: r.id, status: r.status, contact: JSON.parse(r.contact) as string[], eabKid: r.eab_kid, createdAt: iso(r.created_at) as string,
      orders: Number(r.orders), certificates: Number(r.certificates), keyThumbprint: r.thumbprint,
    }));
  }

  async showAccount(id: string): Promise<AccountSummary & { keyThumbprint: string }> {
    const rows = await this.accounts('WHERE a.id = ?', [id], 1);
    const row = rows[0];
    if (!row) throw new AppError('notFound', `No account with id ${id}; list them with "certainty account list"`);
    return row;
  }

  async deactivateAccount(id: string): Promise<void> {
    const n = await this.db.transaction(async (tx) => {
      const changed = await tx.exec(`UPDATE accounts SET status = 'deactivated', version = version + 1 WHERE id = ? AND status = 'valid'`, [id]);
      if (changed === 1) await recordAs(this.audit, tx, { action: 'account.deactivated', object: `account:${id}`, outcome: 'success' });
      return changed;
    });
    if (n === 0) {
      await this.showAccount(id);
      throw new AppError('conflict', `Account ${id} is already deactivated`);
    }
  }

  async listCertificates(opts: { limit?: number; name?: string; revoked?: boolean } = {}): Promise<CertificateSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.name !== undefined) {
      where.push('id IN (SELECT certificate_id FROM certificate_names WHERE name = ?)');
      params.push(opts.name.toLowerCase());
    }
    if (opts.revoked !== undefined) where.push(opts.revoked ? 'revoked_at IS NOT NULL' : 'revoked_at IS NULL');
    const rows = await this.db.query<CertRow>(
      `SELECT ${CERT_COLS} FROM certificates ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`,
      [...params, opts.limit ?? 100],
    );
    return rows.map(certSummary);
  }

  async showCertificate(serial: string): Promise<CertificateSummary & { pem: string; subject: string; issuer: string }> {
    const rows = await this.db.query<CertRow & { der: Buffer }>(`SELECT ${CERT_COLS}, der FROM certificates WHERE serial = ?`, [normaliseSerial(serial)]);
    const row = rows[0];
    if (!row) throw new AppError('notFound', `No certificate with serial ${serial}; list them with "certainty cert list"`);
    const x = new X509Certificate(Buffer.from(row.der));
    return { ...certSummary(row), pem: x.toString(), subject: x.subject, issuer: x.issuer };
  }

  /**
   * Revokes a certificate; the job that puts it on the CRL is queued in the same transaction. The
   * CRL is then also updated here, for freshness: when that fails the revocation still stands and
   * its error is returned (a running node publishes the CRL from the queued job).
   */
  async revokeCertificate(authority: Authority, serial: string, reason: number): Promise<{ crlError: Error | undefined }> {
    if (!(ALLOWED_REASONS as readonly number[]).includes(reason)) {
      throw new AppError('badRevocationReason', `Reason ${reason} is not allowed; use one of ${ALLOWED_REASONS.join(', ')}`);
    }
    const s = normaliseSerial(serial);
    const revoked = await this.db.transaction(async (tx) => {
      const r = await recordRevocation(this.db, tx, { serial: s }, this.now(), reason);
      if (r) await recordAs(this.audit, tx, { action: 'certificate.revoked', object: `certificate:${s}`, outcome: 'success', details: { reason } });
      return r;
    });
    if (!revoked) {
      await this.showCertificate(s);
      throw new AppError('alreadyRevoked', `Certificate ${s} is already revoked`);
    }
    try {
      await authority.updateCrl();
      return { crlError: undefined };
    } catch (err) {
      return { crlError: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  async counts(): Promise<Record<string, number>> {
    const q = async (sql: string): Promise<number> => Number((await this.db.query<{ n: number }>(sql))[0]?.n ?? 0);
    return {
      accounts: await q('SELECT COUNT(*) AS n FROM accounts'),
      orders: await q('SELECT COUNT(*) AS n FROM orders'),
      pendingOrders: await q(`SELECT COUNT(*) AS n FROM orders WHERE status IN ('pending', 'ready', 'processing')`),
      certificates: await q('SELECT COUNT(*) AS n FROM certificates'),
      revokedCertificates: await q('SELECT COUNT(*) AS n FROM certificates WHERE revoked_at IS NOT NULL'),
    };
  }
}
