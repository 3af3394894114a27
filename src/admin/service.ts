import { X509Certificate } from 'node:crypto';
import { normaliseSerial } from '../ca/pem.ts';
import { checkRevocationReason, revokeCertificate } from '../ca/revoke.ts';
import type { RevocationStore } from '../ca/store.ts';
import { AppError } from '../errors.ts';
import type { AccountOverview, AdminStore, CertificateOverview, InventoryCounts } from './store.ts';

export type AccountSummary = Omit<AccountOverview, 'createdAt'> & { createdAt: string };

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

export interface AdminServiceDeps {
  store: AdminStore;
  revocations: RevocationStore;
  now: () => number;
  /** Who changes are recorded as: `cli:<user>` or `admin-api`. */
  actor: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function certSummary(c: CertificateOverview): CertificateSummary {
  return {
    serial: c.serial, names: c.names, accountId: c.accountId, notBefore: iso(c.notBefore), notAfter: iso(c.notAfter),
    revokedAt: c.revokedAt === null ? null : iso(c.revokedAt), revocationReason: c.revocationReason, replacedBy: c.replacedBy,
  };
}

const accountSummary = (a: AccountOverview): AccountSummary => ({ ...a, createdAt: iso(a.createdAt) });

/** Operator actions shared by the CLI and the admin HTTP API. */
export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  async listAccounts(limit = 100): Promise<AccountSummary[]> {
    return (await this.deps.store.accounts(limit)).map(accountSummary);
  }

  async showAccount(id: string): Promise<AccountSummary> {
    const row = (await this.deps.store.accounts(1, id))[0];
    if (!row) throw new AppError('notFound', `No account with id ${id}; list them with "certainty account list"`);
    return accountSummary(row);
  }

  async deactivateAccount(id: string): Promise<void> {
    const changed = await this.deps.store.transaction(async (store) => {
      if (!(await store.deactivateAccount(id))) return false;
      await store.audit({ actor: this.deps.actor, action: 'account.deactivated', object: `account:${id}`, outcome: 'success' });
      return true;
    });
    if (!changed) {
      await this.showAccount(id);
      throw new AppError('conflict', `Account ${id} is already deactivated`);
    }
  }

  async listCertificates(opts: { limit?: number; name?: string; revoked?: boolean } = {}): Promise<CertificateSummary[]> {
    const rows = await this.deps.store.certificates({
      limit: opts.limit ?? 100, ...(opts.name === undefined ? {} : { name: opts.name.toLowerCase() }), ...(opts.revoked === undefined ? {} : { revoked: opts.revoked }),
    });
    return rows.map(certSummary);
  }

  private async certificate(serial: string): Promise<CertificateOverview & { der: Buffer }> {
    const row = await this.deps.store.certificateBySerial(normaliseSerial(serial));
    if (!row) throw new AppError('notFound', `No certificate with serial ${serial}; list them with "certainty cert list"`);
    return row;
  }

  async showCertificate(serial: string): Promise<CertificateSummary & { pem: string; subject: string; issuer: string }> {
    const row = await this.certificate(serial);
    const x = new X509Certificate(row.der);
    return { ...certSummary(row), pem: x.toString(), subject: x.subject, issuer: x.issuer };
  }

  /**
   * Revokes a certificate (src/ca/revoke.ts: the CRL job is queued in the same transaction). When
   * the CRL update that follows fails, the revocation still stands and the error is returned (a
   * running node publishes the CRL from the queued job).
   */
  async revokeCertificate(crl: { updateCrl(shard?: number): Promise<unknown> }, serial: string, reason: number): Promise<{ crlError: Error | undefined }> {
    const checked = checkRevocationReason(reason);
    const certificate = await this.certificate(serial);
    return revokeCertificate({ store: this.deps.revocations, crl, now: this.deps.now }, { certificate, reason: checked, actor: this.deps.actor });
  }

  counts(): Promise<InventoryCounts> {
    return this.deps.store.counts();
  }
}
