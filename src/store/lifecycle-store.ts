import type { EnqueueOptions } from '../jobs/queue.ts';
import type { DeployJobRecord } from '../lifecycle/deploy-status.ts';
import type { OrderBudget } from '../lifecycle/rate-budget.ts';
import type { LifecycleStore } from '../lifecycle/store.ts';
import type { RenewalState } from '../lifecycle/types.ts';
import { revisionId, type Issuer, type LocalCertificate, type ManagedCertificate, type ManagedSpec, type NewIssuer, type NewRevision, type Revision } from '../lifecycle/types.ts';
import { fromCertificate } from './acme-rows.ts';
import { SqlConditionStore } from './condition-store.ts';
import { deployRecords, finishDeploy } from './deploy-records.ts';
import type { Queryable } from './db.ts';
import { placeholders } from './sql-text.ts';
import { SqlJobStore } from './job-store.ts';
import { SqlNotifyStore } from './notify-store.ts';
import {
  fromManaged, ISSUER_COLS, MANAGED_COLS, renewalStateSet, REVISION_COLS, toIssuer, toManaged, toRevision, type IssuerRow, type ManagedRow, type RevisionRow,
} from './lifecycle-rows.ts';

const blob = (v: unknown): Buffer => Buffer.from(v as Buffer);

/** The lifecycle tables (migrations 11, 14 and 18); see src/lifecycle/store.ts. */
export class SqlLifecycleStore extends SqlConditionStore<LifecycleStore> implements LifecycleStore {
  protected bound(tx: Queryable): LifecycleStore {
    return new SqlLifecycleStore(this.db, tx, this.recorder, this.events);
  }

  async enqueueJob(kind: string, payload: Record<string, unknown>, options: EnqueueOptions): Promise<boolean> {
    return (await new SqlJobStore(this.db, this.q).enqueue(kind, payload, options)) !== undefined;
  }

  async insertIssuer(i: NewIssuer): Promise<boolean> {
    const n = await this.q.exec(
      `INSERT INTO lifecycle_issuers (name, kind, config, eab_hmac_wrapped, created_at, version) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT DO NOTHING`,
      [i.name, i.kind, JSON.stringify(i.acme ?? {}), i.eabHmacWrapped ?? null, i.createdAt],
    );
    return n === 1;
  }

  async issuer(name: string): Promise<Issuer | undefined> {
    const [row] = await this.q.query<IssuerRow>(`SELECT ${ISSUER_COLS} FROM lifecycle_issuers WHERE name = ?`, [name]);
    return row && toIssuer(row);
  }

  async issuers(): Promise<Issuer[]> {
    return (await this.q.query<IssuerRow>(`SELECT ${ISSUER_COLS} FROM lifecycle_issuers ORDER BY name`)).map(toIssuer);
  }

  async eabHmacWrapped(name: string): Promise<Buffer | undefined> {
    const [row] = await this.q.query<{ w: unknown }>('SELECT eab_hmac_wrapped AS w FROM lifecycle_issuers WHERE name = ?', [name]);
    return row?.w === null || row?.w === undefined ? undefined : blob(row.w);
  }

  async updateIssuer(i: NewIssuer, version: number, dropAccount: boolean): Promise<boolean> {
    const n = await this.q.exec(
      'UPDATE lifecycle_issuers SET kind = ?, config = ?, eab_hmac_wrapped = ?, version = version + 1 WHERE name = ? AND version = ?',
      [i.kind, JSON.stringify(i.acme ?? {}), i.eabHmacWrapped ?? null, i.name, version],
    );
    if (n === 1 && dropAccount) {
      await this.q.exec('DELETE FROM lifecycle_accounts WHERE issuer = ?', [i.name]);
      await this.q.exec('DELETE FROM lifecycle_account_rollovers WHERE issuer = ?', [i.name]);
    }
    return n === 1;
  }

  async issuerVersion(name: string): Promise<number | undefined> {
    const [row] = await this.q.query<{ version: number }>('SELECT version FROM lifecycle_issuers WHERE name = ?', [name]);
    return row === undefined ? undefined : Number(row.version);
  }

  async deleteIssuer(name: string): Promise<boolean> {
    await this.q.exec('DELETE FROM lifecycle_accounts WHERE issuer = ?', [name]);
    await this.q.exec('DELETE FROM lifecycle_account_rollovers WHERE issuer = ?', [name]);
    return (await this.q.exec('DELETE FROM lifecycle_issuers WHERE name = ?', [name])) === 1;
  }

  async managedUsingIssuer(name: string): Promise<number> {
    const [row] = await this.q.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM managed_certificates WHERE issuer = ?', [name]);
    return Number(row?.n ?? 0);
  }

  async takeOrderSlot(issuer: string, budget: OrderBudget): Promise<{ taken: true } | { taken: false; waitMs: number }> {
    const now = this.db.dialect.nowMs;
    // GCRA: `tat` is when the bucket is full again; a slot is free while that stays within one period.
    const step = Math.max(1, Math.ceil(budget.perMs / budget.orders));
    const from = `CASE WHEN lifecycle_rate_budgets.tat > ${now} THEN lifecycle_rate_budgets.tat ELSE ${now} END`;
    const n = await this.q.exec(
      `INSERT INTO lifecycle_rate_budgets (issuer, tat) VALUES (?, ${now} + ?)
       ON CONFLICT (issuer) DO UPDATE SET tat = ${from} + ? WHERE ${from} + ? <= ${now} + ?`,
      [issuer, step, step, step, budget.perMs],
    );
    if (n === 1) return { taken: true };
    const [row] = await this.q.query<{ wait: number | string }>(`SELECT tat + ? - ? - ${now} AS wait FROM lifecycle_rate_budgets WHERE issuer = ?`, [step, budget.perMs, issuer]);
    return { taken: false, waitMs: Math.max(0, Number(row?.wait ?? 0)) };
  }

  async account(issuer: string): Promise<{ url: string; keyWrapped: Buffer } | undefined> {
    const [row] = await this.q.query<{ account_url: string; key_wrapped: unknown }>('SELECT account_url, key_wrapped FROM lifecycle_accounts WHERE issuer = ?', [issuer]);
    return row && { url: row.account_url, keyWrapped: blob(row.key_wrapped) };
  }

  async insertAccount(issuer: string, url: string, keyWrapped: Buffer, now: number): Promise<{ url: string; keyWrapped: Buffer }> {
    await this.q.exec('INSERT INTO lifecycle_accounts (issuer, account_url, key_wrapped, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [issuer, url, keyWrapped, now]);
    return (await this.account(issuer)) ?? { url, keyWrapped };
  }

  async recordAccountUrl(issuer: string, url: string): Promise<void> {
    await this.q.exec("UPDATE lifecycle_accounts SET account_url = ? WHERE issuer = ? AND account_url = ''", [url, issuer]);
  }

  async rolloverKey(issuer: string): Promise<Buffer | undefined> {
    const [row] = await this.q.query<{ key_wrapped: unknown }>('SELECT key_wrapped FROM lifecycle_account_rollovers WHERE issuer = ?', [issuer]);
    return row && blob(row.key_wrapped);
  }

  async insertRolloverKey(issuer: string, keyWrapped: Buffer): Promise<Buffer> {
    await this.q.exec('INSERT INTO lifecycle_account_rollovers (issuer, key_wrapped) VALUES (?, ?) ON CONFLICT DO NOTHING', [issuer, keyWrapped]);
    return (await this.rolloverKey(issuer)) ?? keyWrapped;
  }

  async finishRollover(issuer: string, oldKeyWrapped: Buffer, newKeyWrapped: Buffer): Promise<boolean> {
    const n = await this.q.exec('UPDATE lifecycle_accounts SET key_wrapped = ? WHERE issuer = ? AND key_wrapped = ?', [newKeyWrapped, issuer, oldKeyWrapped]);
    await this.q.exec('DELETE FROM lifecycle_account_rollovers WHERE issuer = ?', [issuer]);
    return n === 1;
  }

  async insertManaged(c: ManagedCertificate): Promise<boolean> {
    return (await this.q.exec(`INSERT INTO managed_certificates (${MANAGED_COLS}) VALUES (${placeholders(16)}) ON CONFLICT DO NOTHING`, fromManaged(c))) === 1;
  }

  async managed(name: string): Promise<ManagedCertificate | undefined> {
    const [row] = await this.q.query<ManagedRow>(`SELECT ${MANAGED_COLS} FROM managed_certificates WHERE name = ?`, [name]);
    return row && toManaged(row);
  }

  async managedList(): Promise<ManagedCertificate[]> {
    return (await this.q.query<ManagedRow>(`SELECT ${MANAGED_COLS} FROM managed_certificates ORDER BY name`)).map(toManaged);
  }

  async targetSecrets(name: string): Promise<Buffer | undefined> {
    const [row] = await this.q.query<{ w: unknown }>('SELECT secrets_wrapped AS w FROM managed_target_secrets WHERE name = ?', [name]);
    return row && blob(row.w);
  }

  async putTargetSecrets(name: string, wrapped: Buffer | undefined): Promise<void> {
    if (wrapped === undefined) {
      await this.q.exec('DELETE FROM managed_target_secrets WHERE name = ?', [name]);
      return;
    }
    await this.q.exec(
      'INSERT INTO managed_target_secrets (name, secrets_wrapped) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET secrets_wrapped = excluded.secrets_wrapped',
      [name, wrapped],
    );
  }

  async updateManagedSpec(name: string, version: number, issuer: string, spec: ManagedSpec, renewAt: number | undefined): Promise<boolean> {
    const renew = renewAt === undefined ? '' : ", next_renewal_at = ?, renewal_rule = 'operator'";
    const n = await this.q.exec(
      `UPDATE managed_certificates SET issuer = ?, spec = ?${renew}, version = version + 1 WHERE name = ? AND version = ?`,
      [issuer, JSON.stringify(spec), ...(renewAt === undefined ? [] : [renewAt]), name, version],
    );
    return n === 1;
  }

  async deleteManaged(name: string): Promise<boolean> {
    await this.q.exec('DELETE FROM managed_target_secrets WHERE name = ?', [name]);
    await this.q.exec('DELETE FROM managed_revisions WHERE managed_name = ?', [name]);
    await this.q.exec('DELETE FROM managed_pending_keys WHERE name = ?', [name]);
    await this.q.exec('DELETE FROM http01_tokens WHERE managed_name = ?', [name]);
    await this.q.exec('DELETE FROM deploy_outcomes WHERE managed_name = ?', [name]);
    // Its jobs not started yet go with it; one running ends by itself (it finds no certificate, or another one).
    await this.q.exec("DELETE FROM jobs WHERE fair_key = ? AND status = 'queued'", [`managed:${name}`]);
    await new SqlNotifyStore(this.db, this.q).forgetSubject(`managed:${name}`);
    return (await this.q.exec('DELETE FROM managed_certificates WHERE name = ?', [name])) === 1;
  }

  async due(now: number, limit: number): Promise<ManagedCertificate[]> {
    const rows = await this.q.query<ManagedRow>(
      `SELECT ${MANAGED_COLS} FROM managed_certificates WHERE next_renewal_at <= ? OR ari_poll_at <= ? ORDER BY next_renewal_at LIMIT ?`,
      [now, now, limit],
    );
    return rows.map(toManaged);
  }

  async updateRenewalState(name: string, version: number, state: RenewalState, bumpSeq: boolean): Promise<boolean> {
    const { set, params } = renewalStateSet(state);
    const seq = bumpSeq ? ', renewal_seq = renewal_seq + 1' : '';
    return (await this.q.exec(`UPDATE managed_certificates SET ${set}${seq}, version = version + 1 WHERE name = ? AND version = ?`, [...params, name, version])) === 1;
  }

  async setPendingOrder(name: string, seq: number, orderUrl: string): Promise<boolean> {
    return (await this.q.exec('UPDATE managed_certificates SET pending_order_url = ?, version = version + 1 WHERE name = ? AND renewal_seq = ?', [orderUrl, name, seq])) === 1;
  }

  async pendingKey(name: string): Promise<Buffer | undefined> {
    const [row] = await this.q.query<{ key_wrapped: unknown }>('SELECT key_wrapped FROM managed_pending_keys WHERE name = ?', [name]);
    return row && blob(row.key_wrapped);
  }

  async insertPendingKey(name: string, keyWrapped: Buffer): Promise<Buffer> {
    await this.q.exec('INSERT INTO managed_pending_keys (name, key_wrapped) VALUES (?, ?) ON CONFLICT DO NOTHING', [name, keyWrapped]);
    return (await this.pendingKey(name)) ?? keyWrapped;
  }

  async deletePendingKey(name: string): Promise<void> {
    await this.q.exec('DELETE FROM managed_pending_keys WHERE name = ?', [name]);
  }

  async insertRevision(r: NewRevision): Promise<void> {
    await this.q.exec(
      `INSERT INTO managed_revisions (id, ${REVISION_COLS}, key_wrapped) VALUES (${placeholders(13)})`,
      [revisionId(r.managedName, r.revision), r.managedName, r.revision, r.serial, r.certPem, r.chainPem, r.notBefore, r.notAfter, r.ariId ?? null, r.replaces ?? null, r.rule, r.createdAt, r.keyWrapped],
    );
  }

  async recordLocalCertificate(c: LocalCertificate): Promise<void> {
    // Beside ACME's certificates, under a pseudo-account naming the managed certificate; no
    // certificate_names rows, since those count toward ACME accounts' rate limits.
    const identifiers = c.names.map((value) => ({ type: /^[\d.]+$|:/.test(value) ? 'ip' as const : 'dns' as const, value }));
    await this.q.exec(
      `INSERT INTO certificates (id, serial, account_id, order_id, issuer_id, der, chain_pem, identifiers, not_before, not_after, ari_id, replaced_by, revoked_at, revocation_reason, created_at) VALUES (${placeholders(15)})`,
      fromCertificate({
        id: `managed-${c.serial}`, serial: c.serial, accountId: `managed:${c.managedName}`, orderId: `managed:${revisionId(c.managedName, c.revision)}`,
        issuerId: c.issuerId, der: c.der, chainPem: c.chainPem, identifiers, notBefore: c.notBefore, notAfter: c.notAfter, ariId: c.ariId,
        replacedBy: null, revokedAt: null, revocationReason: null, createdAt: c.createdAt,
      }),
    );
  }

  async setCurrentRevision(name: string, version: number, revision: number, state: RenewalState): Promise<boolean> {
    const { set, params } = renewalStateSet(state);
    const n = await this.q.exec(
      `UPDATE managed_certificates SET ${set}, current_revision = ?, renewal_seq = renewal_seq + 1, pending_order_url = NULL, version = version + 1 WHERE name = ? AND version = ?`,
      [...params, revision, name, version],
    );
    return n === 1;
  }

  deployRecords(name: string): Promise<DeployJobRecord[]> {
    return deployRecords(this.q, name);
  }

  finishDeploy(job: { id: string; owner: string }, deploy: { name: string; revision: number; target: number }): Promise<boolean> {
    return finishDeploy(this.db, this.q, job, deploy);
  }

  async revisions(name: string): Promise<Revision[]> {
    return (await this.q.query<RevisionRow>(`SELECT ${REVISION_COLS} FROM managed_revisions WHERE managed_name = ? ORDER BY revision DESC`, [name])).map(toRevision);
  }

  async currentExpiries(): Promise<Array<{ name: string; serial: string; notBefore: number; notAfter: number }>> {
    const rows = await this.q.query<{ name: string; serial: string; not_before: number | string; not_after: number | string }>(
      'SELECT m.name, r.serial, r.not_before, r.not_after FROM managed_certificates m JOIN managed_revisions r ON r.managed_name = m.name AND r.revision = m.current_revision ORDER BY m.name',
    );
    return rows.map((r) => ({ name: r.name, serial: r.serial, notBefore: Number(r.not_before), notAfter: Number(r.not_after) }));
  }

  async revisionKey(name: string, revision: number): Promise<Buffer | undefined> {
    const [row] = await this.q.query<{ key_wrapped: unknown }>('SELECT key_wrapped FROM managed_revisions WHERE id = ?', [revisionId(name, revision)]);
    return row && blob(row.key_wrapped);
  }

  async pruneRevisions(name: string, keep: number): Promise<number> {
    const rows = await this.q.query<{ revision: number }>('SELECT revision FROM managed_revisions WHERE managed_name = ? ORDER BY revision DESC', [name]);
    const old = rows.slice(keep).map((r) => revisionId(name, Number(r.revision)));
    if (old.length === 0) return 0;
    return this.q.exec(`DELETE FROM managed_revisions WHERE id IN (${placeholders(old.length)})`, old);
  }

  async putHttp01(token: string, keyAuthorization: string, managedName: string, expiresAt: number): Promise<void> {
    await this.q.exec(
      'INSERT INTO http01_tokens (token, key_authorization, managed_name, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET key_authorization = excluded.key_authorization, expires_at = excluded.expires_at',
      [token, keyAuthorization, managedName, expiresAt],
    );
  }

  async http01(token: string, now: number): Promise<string | undefined> {
    const [row] = await this.q.query<{ key_authorization: string }>('SELECT key_authorization FROM http01_tokens WHERE token = ? AND expires_at > ?', [token, now]);
    return row?.key_authorization;
  }

  async deleteHttp01(token: string): Promise<void> {
    await this.q.exec('DELETE FROM http01_tokens WHERE token = ?', [token]);
  }

  pruneHttp01(now: number): Promise<number> {
    return this.q.exec('DELETE FROM http01_tokens WHERE expires_at < ?', [now]);
  }
}
