import type { AuditEvent, AuditRecorder } from '../audit/log.ts';
import type { SshCertKind } from '../ssh/certificate.ts';
import { parseRole } from '../ssh/role.ts';
import type { SshCaAlgorithm } from '../ssh/signer.ts';
import type { SshStore, StoredKrl } from '../ssh/store.ts';
import type { SshCa, SshCaStatus, SshCertRecord, SshRevocation, SshRevocationTarget, SshRole } from '../ssh/types.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';

interface CaRow { id: string; kind: string; algorithm: string; public_key: string; status: string; created_at: number; version: number }
interface CertRow {
  serial: string; ca_id: string; kind: string; role: string; key_id: string; principals: string; fingerprint: string;
  valid_after: number; valid_before: number; token_id: string | null; created_at: number; revoked_at: number | null;
}
interface RevocationRow { target: string; value: string; ca_id: string | null; reason: string; created_at: number }

const CA_COLS = 'id, kind, algorithm, public_key, status, created_at, version';
const CERT_COLS = 'serial, ca_id, kind, role, key_id, principals, fingerprint, valid_after, valid_before, token_id, created_at, revoked_at';

const toCa = (r: CaRow): SshCa => ({
  id: r.id, kind: r.kind as SshCertKind, algorithm: r.algorithm as SshCaAlgorithm, publicKey: r.public_key, status: r.status as SshCaStatus,
  createdAt: Number(r.created_at), version: Number(r.version),
});

const toCert = (r: CertRow): SshCertRecord => ({
  serial: r.serial, caId: r.ca_id, kind: r.kind as SshCertKind, role: r.role, keyId: r.key_id, principals: JSON.parse(r.principals) as string[], fingerprint: r.fingerprint,
  validAfter: Number(r.valid_after), validBefore: Number(r.valid_before), tokenId: r.token_id, createdAt: Number(r.created_at), revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

/** A role is stored as its spec; reading it back runs the same checks as writing it. */
function roleSpec(role: SshRole): string {
  const { name: _name, ttlMs, maxTtlMs, backdateMs, ...rest } = role;
  return JSON.stringify({ ...rest, ttl: ttlMs, maxTtl: maxTtlMs, backdate: backdateMs });
}

/** SshStore over the `ssh_*` tables. */
export class SqlSshStore implements SshStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db, private readonly recorder: AuditRecorder | undefined = undefined) {}

  transaction<T>(fn: (store: SshStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlSshStore(this.db, tx, this.recorder)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async insertCa(ca: SshCa, keyWrapped: Buffer): Promise<boolean> {
    return (await this.q.exec(
      `INSERT INTO ssh_cas (${CA_COLS}, key_wrapped) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [ca.id, ca.kind, ca.algorithm, ca.publicKey, ca.status, ca.createdAt, ca.version, keyWrapped],
    )) === 1;
  }

  async cas(kind?: SshCertKind): Promise<SshCa[]> {
    const rows = await this.q.query<CaRow>(`SELECT ${CA_COLS} FROM ssh_cas ${kind === undefined ? '' : 'WHERE kind = ?'} ORDER BY created_at, id`, kind === undefined ? [] : [kind]);
    return rows.map(toCa);
  }

  async caKey(id: string): Promise<Buffer | undefined> {
    const [row] = await this.q.query<{ key_wrapped: Buffer }>('SELECT key_wrapped FROM ssh_cas WHERE id = ?', [id]);
    return row && Buffer.from(row.key_wrapped);
  }

  async setCaStatus(ca: SshCa, status: SshCaStatus): Promise<boolean> {
    return (await this.q.exec('UPDATE ssh_cas SET status = ?, version = version + 1 WHERE id = ? AND version = ?', [status, ca.id, ca.version])) === 1;
  }

  async role(name: string): Promise<{ role: SshRole; version: number } | undefined> {
    const [row] = await this.q.query<{ spec: string; version: number }>('SELECT spec, version FROM ssh_roles WHERE name = ?', [name]);
    return row && { role: parseRole(name, JSON.parse(row.spec) as Record<string, unknown>), version: Number(row.version) };
  }

  async roles(): Promise<SshRole[]> {
    const rows = await this.q.query<{ name: string; spec: string }>('SELECT name, spec FROM ssh_roles ORDER BY name');
    return rows.map((r) => parseRole(r.name, JSON.parse(r.spec) as Record<string, unknown>));
  }

  async putRole(role: SshRole, version: number | undefined, now: number): Promise<boolean> {
    if (version === undefined) {
      return (await this.q.exec('INSERT INTO ssh_roles (name, spec, version, updated_at) VALUES (?, ?, 1, ?) ON CONFLICT DO NOTHING', [role.name, roleSpec(role), now])) === 1;
    }
    return (await this.q.exec('UPDATE ssh_roles SET spec = ?, version = version + 1, updated_at = ? WHERE name = ? AND version = ?', [roleSpec(role), now, role.name, version])) === 1;
  }

  async deleteRole(name: string): Promise<boolean> {
    return (await this.q.exec('DELETE FROM ssh_roles WHERE name = ?', [name])) === 1;
  }

  async tokenName(id: string): Promise<string | undefined> {
    const [row] = await this.q.query<{ name: string }>('SELECT name FROM admin_tokens WHERE id = ?', [id]);
    return row?.name;
  }

  async insertCertificate(c: SshCertRecord): Promise<void> {
    await this.q.exec(`INSERT INTO ssh_certificates (${CERT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      c.serial, c.caId, c.kind, c.role, c.keyId, JSON.stringify(c.principals), c.fingerprint, c.validAfter, c.validBefore, c.tokenId, c.createdAt, c.revokedAt,
    ]);
  }

  async certificate(serial: string): Promise<SshCertRecord | undefined> {
    const [row] = await this.q.query<CertRow>(`SELECT ${CERT_COLS} FROM ssh_certificates WHERE serial = ?`, [serial]);
    return row && toCert(row);
  }

  async certificates(limit: number): Promise<SshCertRecord[]> {
    return (await this.q.query<CertRow>(`SELECT ${CERT_COLS} FROM ssh_certificates ORDER BY created_at DESC, serial LIMIT ?`, [limit])).map(toCert);
  }

  async counts(): Promise<{ certificates: number; revoked: number; revocations: number }> {
    const [row] = await this.q.query<{ certificates: number; revoked: number; revocations: number }>(
      `SELECT (SELECT COUNT(*) FROM ssh_certificates) AS certificates, (SELECT COUNT(*) FROM ssh_certificates WHERE revoked_at IS NOT NULL) AS revoked,
        (SELECT COUNT(*) FROM ssh_revocations) AS revocations`,
    );
    return { certificates: Number(row?.certificates ?? 0), revoked: Number(row?.revoked ?? 0), revocations: Number(row?.revocations ?? 0) };
  }

  async insertRevocation(rev: SshRevocation, fingerprint: string | undefined): Promise<boolean> {
    const known = await this.q.query('SELECT 1 AS one FROM ssh_revocations WHERE target = ? AND value = ?', [rev.target, rev.value]);
    if (known.length > 0) return false;
    // The generation row is locked before the insert, so revocations commit in generation order.
    await this.q.exec('UPDATE ssh_krl SET generation = generation + 1 WHERE id = 1');
    const inserted = await this.q.exec(
      'INSERT INTO ssh_revocations (target, value, ca_id, reason, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [rev.target, rev.value, rev.caId, rev.reason, rev.createdAt],
    );
    if (inserted === 0) return false;
    const column = { serial: 'serial', 'key-id': 'key_id', 'public-key': 'fingerprint' }[rev.target];
    await this.q.exec(`UPDATE ssh_certificates SET revoked_at = ? WHERE ${column} = ? AND revoked_at IS NULL`, [rev.createdAt, rev.target === 'public-key' ? fingerprint : rev.value]);
    return true;
  }

  async revocations(): Promise<SshRevocation[]> {
    const rows = await this.q.query<RevocationRow>('SELECT target, value, ca_id, reason, created_at FROM ssh_revocations ORDER BY created_at, target, value');
    return rows.map((r) => ({ target: r.target as SshRevocationTarget, value: r.value, caId: r.ca_id, reason: r.reason, createdAt: Number(r.created_at) }));
  }

  async generation(): Promise<number> {
    const [row] = await this.q.query<{ generation: number }>('SELECT generation FROM ssh_krl WHERE id = 1');
    return Number(row?.generation ?? 0);
  }

  async storedKrl(): Promise<StoredKrl | undefined> {
    const [row] = await this.q.query<{ krl: Buffer | null; krl_generation: number; generated_at: number }>('SELECT krl, krl_generation, generated_at FROM ssh_krl WHERE id = 1');
    return row?.krl ? { krl: Buffer.from(row.krl), generation: Number(row.krl_generation), generatedAt: Number(row.generated_at) } : undefined;
  }

  async storeKrl(k: StoredKrl): Promise<void> {
    await this.q.exec('UPDATE ssh_krl SET krl = ?, krl_generation = ?, generated_at = ? WHERE id = 1 AND (krl IS NULL OR krl_generation < ?)', [k.krl, k.generation, k.generatedAt, k.generation]);
  }
}
