import type { AuditEvent, AuditRecorder } from '../audit/log.ts';
import type { SecretPolicyStore, SecretRow, SecretStore, VersionRow } from '../secrets/store.ts';
import type { Policy, PolicyRule, SecretListing } from '../secrets/types.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';
import { placeholders } from './sql-text.ts';
import { fromSecret, fromVersion, SECRET_COLS, toRules, toSecret, toVersion, VERSION_COLS, type SecretDbRow, type VersionDbRow } from './secrets-rows.ts';

const inList = (xs: readonly unknown[]): string => `(${placeholders(xs.length)})`;

/** SecretStore over `secrets` and `secret_versions`. */
export class SqlSecretStore implements SecretStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db, private readonly recorder: AuditRecorder | undefined = undefined) {}

  transaction<T>(fn: (store: SecretStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlSecretStore(this.db, tx, this.recorder)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async secret(path: string): Promise<SecretRow | undefined> {
    const rows = await this.q.query<SecretDbRow>(`SELECT ${SECRET_COLS} FROM secrets WHERE path = ?`, [path]);
    return rows[0] && toSecret(rows[0]);
  }

  async lockSecret(path: string): Promise<SecretRow | undefined> {
    const rows = await this.q.query<SecretDbRow>(`SELECT ${SECRET_COLS} FROM secrets WHERE path = ? ${this.db.dialect.forUpdate}`, [path]);
    return rows[0] && toSecret(rows[0]);
  }

  async insertSecret(row: Omit<SecretRow, 'rowVersion'>): Promise<boolean> {
    return (await this.q.exec(`INSERT INTO secrets (${SECRET_COLS}) VALUES (${placeholders(14)}) ON CONFLICT DO NOTHING`, [...fromSecret(row), 0])) === 1;
  }

  async updateSecret(row: SecretRow): Promise<boolean> {
    const [, ...values] = fromSecret(row);
    const n = await this.q.exec(
      `UPDATE secrets SET current_version = ?, max_versions = ?, cas_required = ?, delete_version_after_ms = ?, reveal_reason_required = ?, honeytoken = ?,
        custom_metadata = ?, generator = ?, rotate_every_ms = ?, next_rotation_at = ?, created_at = ?, updated_at = ?, version = version + 1
       WHERE path = ? AND version = ?`,
      [...values, row.path, row.rowVersion],
    );
    return n === 1;
  }

  async removeSecret(path: string): Promise<boolean> {
    await this.q.exec('DELETE FROM secret_versions WHERE path = ?', [path]);
    return (await this.q.exec('DELETE FROM secrets WHERE path = ?', [path])) === 1;
  }

  async versions(path: string): Promise<VersionRow[]> {
    return (await this.q.query<VersionDbRow>(`SELECT ${VERSION_COLS} FROM secret_versions WHERE path = ? ORDER BY version`, [path])).map(toVersion);
  }

  async version(path: string, version: number): Promise<VersionRow | undefined> {
    const rows = await this.q.query<VersionDbRow>(`SELECT ${VERSION_COLS} FROM secret_versions WHERE path = ? AND version = ?`, [path, version]);
    return rows[0] && toVersion(rows[0]);
  }

  async insertVersion(row: VersionRow): Promise<boolean> {
    return (await this.q.exec(`INSERT INTO secret_versions (${VERSION_COLS}) VALUES (${placeholders(8)}) ON CONFLICT DO NOTHING`, fromVersion(row))) === 1;
  }

  pruneVersions(path: string, upTo: number): Promise<number> {
    return upTo < 1 ? Promise.resolve(0) : this.q.exec('DELETE FROM secret_versions WHERE path = ? AND version <= ?', [path, upTo]);
  }

  markDeleted(path: string, versions: readonly number[], at: number | null): Promise<number> {
    const which = at === null ? 'deleted_at IS NOT NULL' : 'deleted_at IS NULL';
    return this.q.exec(
      `UPDATE secret_versions SET deleted_at = ? WHERE path = ? AND version IN ${inList(versions)} AND destroyed_at IS NULL AND ${which}`,
      [at, path, ...versions],
    );
  }

  destroyVersions(path: string, versions: readonly number[], at: number): Promise<number> {
    return this.q.exec(
      `UPDATE secret_versions SET value_wrapped = NULL, destroyed_at = ? WHERE path = ? AND version IN ${inList(versions)} AND destroyed_at IS NULL`,
      [at, path, ...versions],
    );
  }

  expireVersions(now: number): Promise<number> {
    return this.q.exec(
      `UPDATE secret_versions SET deleted_at = ?
       WHERE deleted_at IS NULL AND destroyed_at IS NULL
         AND path IN (SELECT s.path FROM secrets s WHERE s.delete_version_after_ms > 0
           AND secret_versions.created_at + s.delete_version_after_ms <= ?)`,
      [now, now],
    );
  }

  async list(prefix: string, limit: number): Promise<SecretListing[]> {
    const rows = await this.q.query<{ path: string; current_version: number; updated_at: number | string }>(
      'SELECT path, current_version, updated_at FROM secrets WHERE substr(path, 1, ?) = ? ORDER BY path LIMIT ?',
      [prefix.length, prefix, limit],
    );
    return rows.map((r) => ({ path: r.path, currentVersion: Number(r.current_version), updatedAt: Number(r.updated_at) }));
  }

  async dueRotations(now: number, limit: number): Promise<string[]> {
    const rows = await this.q.query<{ path: string }>('SELECT path FROM secrets WHERE next_rotation_at <= ? ORDER BY next_rotation_at LIMIT ?', [now, limit]);
    return rows.map((r) => r.path);
  }
}

/** SecretPolicyStore over `secret_policies` and `secret_policy_tokens`. */
export class SqlSecretPolicyStore implements SecretPolicyStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db, private readonly recorder: AuditRecorder | undefined = undefined) {}

  transaction<T>(fn: (store: SecretPolicyStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlSecretPolicyStore(this.db, tx, this.recorder)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async rulesFor(tokenId: string): Promise<PolicyRule[]> {
    const rows = await this.q.query<{ rules: string }>(
      'SELECT p.rules FROM secret_policies p JOIN secret_policy_tokens t ON t.policy = p.name WHERE t.token_id = ? ORDER BY p.name',
      [tokenId],
    );
    return rows.flatMap((r) => toRules(r.rules));
  }

  async putPolicy(name: string, rules: readonly PolicyRule[], at: number): Promise<void> {
    await this.q.exec(
      'INSERT INTO secret_policies (name, rules, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at',
      [name, JSON.stringify(rules), at, at],
    );
  }

  async policy(name: string): Promise<Policy | undefined> {
    return (await this.load('WHERE name = ?', [name]))[0];
  }

  policies(): Promise<Policy[]> {
    return this.load('', []);
  }

  private async load(where: string, params: unknown[]): Promise<Policy[]> {
    const rows = await this.q.query<{ name: string; rules: string }>(`SELECT name, rules FROM secret_policies ${where} ORDER BY name`, params);
    const links = await this.q.query<{ policy: string; token_id: string }>('SELECT policy, token_id FROM secret_policy_tokens ORDER BY token_id');
    return rows.map((r) => ({ name: r.name, rules: toRules(r.rules), tokens: links.filter((l) => l.policy === r.name).map((l) => l.token_id) }));
  }

  async deletePolicy(name: string): Promise<boolean> {
    await this.q.exec('DELETE FROM secret_policy_tokens WHERE policy = ?', [name]);
    return (await this.q.exec('DELETE FROM secret_policies WHERE name = ?', [name])) === 1;
  }

  async attach(name: string, tokenId: string): Promise<boolean> {
    return (await this.q.exec('INSERT INTO secret_policy_tokens (policy, token_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [name, tokenId])) === 1;
  }

  async detach(name: string, tokenId: string): Promise<boolean> {
    return (await this.q.exec('DELETE FROM secret_policy_tokens WHERE policy = ? AND token_id = ?', [name, tokenId])) === 1;
  }
}
