import { CHECKPOINT_KEY_AAD, CHECKPOINT_KEY_SETTING } from '../audit/checkpoint-key.ts';
import { CHECK_AAD, NONCE_KEY_AAD } from '../kek/open.ts';
import type { KekRotationStore, KekSettingsStore, WrappedValue } from '../kek/store.ts';
import type { Database, Queryable } from './db.ts';
import { placeholders } from './sql-text.ts';
import { getOrCreateSetting, getSetting } from './settings.ts';
import { jsonBlob, jsonLike, rewrapJson, type JsonField } from './wrapped-json.ts';

const SALT_SETTING = 'kek.salt';
const CHECK_SETTING = 'kek.check';
const NONCE_KEY_SETTING = 'acme.nonce-key';

/** KekSettingsStore over the `settings` table. */
export class SqlKekSettingsStore implements KekSettingsStore {
  constructor(db: Database, private readonly q: Queryable = db) {}

  salt(): Promise<string | undefined> {
    return getSetting(this.q, SALT_SETTING);
  }

  saltOrCreate(create: () => string): Promise<string> {
    return getOrCreateSetting(this.q, SALT_SETTING, create);
  }

  check(): Promise<string | undefined> {
    return getSetting(this.q, CHECK_SETTING);
  }

  checkOrCreate(create: () => string): Promise<string> {
    return getOrCreateSetting(this.q, CHECK_SETTING, create);
  }

  nonceKeyOrCreate(create: () => string): Promise<string> {
    return getOrCreateSetting(this.q, NONCE_KEY_SETTING, create);
  }
}

/** A column holding wrapped values, with the record identity its blobs are bound to. */
interface WrappedColumn {
  table: string;
  id: string;
  column: string;
  aad: (id: string) => string;
  /** Stored as base64 text rather than bytes. */
  text?: boolean;
  /** Only these rows hold wrapped values (the settings table holds others too). */
  ids?: readonly string[];
  /** The value is base64 text inside the column's JSON, at this field (src/store/wrapped-json.ts). */
  json?: JsonField;
}

const SETTINGS_AAD: Record<string, string> = { [NONCE_KEY_SETTING]: NONCE_KEY_AAD, [CHECKPOINT_KEY_SETTING]: CHECKPOINT_KEY_AAD, [CHECK_SETTING]: CHECK_AAD };

/**
 * Every value wrapped by the KEK. A domain that stores a new one adds its column here, so `kek
 * rotate` re-wraps it and `kek status` counts it.
 */
const WRAPPED_COLUMNS: readonly WrappedColumn[] = [
  { table: 'issuers', id: 'id', column: 'key_wrapped', aad: (id) => `issuer:${id}` },
  { table: 'eab_keys', id: 'kid', column: 'hmac_wrapped', aad: (id) => `eab:${id}` },
  { table: 'ssh_cas', id: 'id', column: 'key_wrapped', aad: (id) => `ssh-ca:${id}` },
  { table: 'secret_versions', id: 'id', column: 'value_wrapped', aad: (id) => `secret:${id}` },
  { table: 'lifecycle_issuers', id: 'name', column: 'eab_hmac_wrapped', aad: (id) => `lifecycle-eab:${id}` },
  { table: 'lifecycle_accounts', id: 'issuer', column: 'key_wrapped', aad: (id) => `lifecycle-account:${id}` },
  { table: 'lifecycle_account_rollovers', id: 'issuer', column: 'key_wrapped', aad: (id) => `lifecycle-account-next:${id}` },
  { table: 'managed_pending_keys', id: 'name', column: 'key_wrapped', aad: (id) => `managed-pending-key:${id}` },
  { table: 'managed_revisions', id: 'id', column: 'key_wrapped', aad: (id) => `managed-key:${id}` },
  { table: 'notification_channels', id: 'name', column: 'secret_wrapped', aad: (id) => `notify-channel:${id}` },
  { table: 'managed_target_secrets', id: 'name', column: 'secrets_wrapped', aad: (id) => `managed-target-secrets:${id}` },
  { table: 'managed_certificates', id: 'name', column: 'spec', aad: (id) => `managed-tsig:${id}`, json: { path: ['solver', 'rfc2136', 'keySecretWrapped'] } },
  // The verifier goes last (settings last, and kek.check sorts after the other keys): nodes that
  // only have the old KEK report not ready once it moves, by which time everything else has.
  { table: 'settings', id: 'key', column: 'value', aad: (id) => SETTINGS_AAD[id] ?? id, text: true, ids: Object.keys(SETTINGS_AAD) },
];

function columnOf(table: string): WrappedColumn {
  const col = WRAPPED_COLUMNS.find((c) => c.table === table);
  if (col === undefined) throw new Error(`no wrapped values are kept in table ${table}`);
  return col;
}

/** KekRotationStore over every wrapped column; compare-and-swap on the stored blob. */
export class SqlKekRotationStore implements KekRotationStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db) {}

  tables(): readonly string[] {
    return WRAPPED_COLUMNS.map((c) => c.table);
  }

  transaction<T>(fn: (store: KekRotationStore) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlKekRotationStore(this.db, tx)));
  }

  async wrappedValues(table: string, after: string, limit: number): Promise<WrappedValue[]> {
    const col = columnOf(table);
    const only = (col.ids === undefined ? '' : `AND ${col.id} IN (${placeholders(col.ids.length)})`) + (col.json === undefined ? '' : ` AND ${col.column} LIKE ?`);
    const rows = await this.q.query<{ id: string; blob: Buffer | string }>(
      `SELECT ${col.id} AS id, ${col.column} AS blob FROM ${col.table} WHERE ${col.column} IS NOT NULL AND ${col.id} > ? ${only} ORDER BY ${col.id} LIMIT ?`,
      [after, ...(col.ids ?? []), ...(col.json === undefined ? [] : [jsonLike(col.json)]), limit],
    );
    const json = col.json;
    if (json !== undefined) return rows.flatMap((r) => { const blob = jsonBlob(String(r.blob), json); return blob === undefined ? [] : [{ table, id: r.id, aad: col.aad(r.id), blob }]; });
    return rows.map((r) => ({
      table, id: r.id, aad: col.aad(r.id), blob: col.text === true ? Buffer.from(String(r.blob), 'base64') : Buffer.from(r.blob as Buffer),
    }));
  }

  async rewrap(value: WrappedValue, blob: Buffer): Promise<boolean> {
    const col = columnOf(value.table);
    if (col.json !== undefined) return rewrapJson(this.q, col, value.id, col.json, value.blob, blob);
    const stored = (b: Buffer): Buffer | string => (col.text === true ? b.toString('base64') : b);
    const n = await this.q.exec(`UPDATE ${col.table} SET ${col.column} = ? WHERE ${col.id} = ? AND ${col.column} = ?`, [stored(blob), value.id, stored(value.blob)]);
    return n === 1;
  }
}
