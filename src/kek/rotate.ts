import { CHECKPOINT_KEY_AAD, CHECKPOINT_KEY_SETTING } from '../audit/checkpoint-key.ts';
import type { Database } from '../store/db.ts';
import { kekIdOf, type Keyring } from './envelope.ts';
import type { KekProvider } from './kek.ts';
import { CHECK_AAD, CHECK_KEY } from './open.ts';

/** Every column that holds a sealed secret, with the record identity its blobs are bound to. */
interface SealedColumn {
  table: string;
  id: string;
  column: string;
  aad: (id: string) => string;
  /** Stored as base64 text rather than bytes. */
  text?: boolean;
  where?: string;
}

const SETTINGS_AAD: Record<string, string> = { 'acme.nonce-key': 'nonce-key', [CHECK_KEY]: CHECK_AAD, [CHECKPOINT_KEY_SETTING]: CHECKPOINT_KEY_AAD };

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'issuers', id: 'id', column: 'key_wrapped', aad: (id) => `issuer:${id}` },
  { table: 'eab_keys', id: 'kid', column: 'hmac_wrapped', aad: (id) => `eab:${id}` },
  // The verifier goes last: nodes that only have the old KEK report not ready once it moves.
  { table: 'settings', id: 'key', column: 'value', aad: (id) => SETTINGS_AAD[id] ?? id, text: true, where: `key IN ('acme.nonce-key', '${CHECKPOINT_KEY_SETTING}', '${CHECK_KEY}')` },
];

export interface RotationProgress {
  table: string;
  rewrapped: number;
  skipped: number;
}

/**
 * Re-wraps every data key under `to`, in batches of `batchSize`, each batch in its own
 * transaction with compare-and-swap on the old blob. Safe to run while nodes serve (they open
 * blobs with either KEK when given both) and to run again after a crash: blobs already under `to`
 * are skipped. Payloads are never re-encrypted.
 */
export async function rotateKek(
  db: Database, keyring: Keyring, to: KekProvider, batchSize: number, onBatch: (p: RotationProgress) => void = () => undefined, pauseMs = 0,
): Promise<RotationProgress[]> {
  const totals: RotationProgress[] = [];
  for (const col of SEALED_COLUMNS) {
    const total: RotationProgress = { table: col.table, rewrapped: 0, skipped: 0 };
    let after = '';
    for (;;) {
      const rows = await db.query<{ id: string; blob: Buffer | string }>(
        `SELECT ${col.id} AS id, ${col.column} AS blob FROM ${col.table} WHERE ${col.column} IS NOT NULL AND ${col.id} > ? ${col.where ? `AND ${col.where}` : ''} ORDER BY ${col.id} LIMIT ?`,
        [after, batchSize],
      );
      if (rows.length === 0) break;
      const batch: RotationProgress = { table: col.table, rewrapped: 0, skipped: 0 };
      await db.transaction(async (tx) => {
        for (const r of rows) {
          const blob = col.text ? Buffer.from(String(r.blob), 'base64') : Buffer.from(r.blob as Buffer);
          if (kekIdOf(blob) === to.id) {
            batch.skipped += 1;
            continue;
          }
          const next = keyring.rewrap(blob, col.aad(r.id), to);
          const stored = col.text ? next.toString('base64') : next;
          await tx.exec(`UPDATE ${col.table} SET ${col.column} = ? WHERE ${col.id} = ? AND ${col.column} = ?`, [stored, r.id, r.blob]);
          batch.rewrapped += 1;
        }
      });
      after = (rows[rows.length - 1] as { id: string }).id;
      total.rewrapped += batch.rewrapped;
      total.skipped += batch.skipped;
      onBatch(batch);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
    totals.push(total);
  }
  return totals;
}

/** How many sealed values each KEK id wraps (for `kek status`). */
export async function sealedByKek(db: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const col of SEALED_COLUMNS) {
    const rows = await db.query<{ blob: Buffer | string }>(`SELECT ${col.column} AS blob FROM ${col.table} WHERE ${col.column} IS NOT NULL ${col.where ? `AND ${col.where}` : ''}`);
    for (const r of rows) {
      const id = kekIdOf(col.text ? Buffer.from(String(r.blob), 'base64') : Buffer.from(r.blob as Buffer));
      counts[id] = (counts[id] ?? 0) + 1;
    }
  }
  return counts;
}
