import { kekIdOf, type Keyring } from './envelope.ts';
import type { KekProvider } from './kek.ts';
import type { KekRotationStore, WrappedValue } from './store.ts';

export interface RotationProgress {
  table: string;
  rewrapped: number;
  skipped: number;
}

export interface RotationOptions {
  /** Values per transaction. */
  batchSize: number;
  /** Pause between batches, to go gently on a busy database. */
  pauseMs?: number;
  onBatch?: (p: RotationProgress) => void;
}

/**
 * Re-wraps every data key under `to`, in batches of `batchSize`, each batch in its own
 * transaction with compare-and-swap on the old blob. Safe to run while nodes serve (they open
 * blobs with either KEK when given both) and to run again after a crash: blobs already under `to`
 * are skipped. Payloads are never re-encrypted.
 */
export async function rotateKek(store: KekRotationStore, keyring: Keyring, to: KekProvider, options: RotationOptions): Promise<RotationProgress[]> {
  const totals: RotationProgress[] = [];
  for (const table of store.tables()) {
    const total: RotationProgress = { table, rewrapped: 0, skipped: 0 };
    for (let after = ''; ;) {
      const values = await store.wrappedValues(table, after, options.batchSize);
      const last = values[values.length - 1];
      if (last === undefined) break;
      const batch: RotationProgress = { table, rewrapped: 0, skipped: 0 };
      await store.transaction(async (tx) => {
        for (const value of values) {
          if (kekIdOf(value.blob) === to.id) batch.skipped += 1;
          else if (await tx.rewrap(value, keyring.rewrap(value.blob, value.aad, to))) batch.rewrapped += 1;
        }
      });
      after = last.id;
      total.rewrapped += batch.rewrapped;
      total.skipped += batch.skipped;
      options.onBatch?.(batch);
      if ((options.pauseMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
    totals.push(total);
  }
  return totals;
}

/** How many wrapped values each KEK id wraps (for `kek status`). */
export async function sealedByKek(store: KekRotationStore): Promise<Record<string, number>> {
  const page = 1000;
  const counts: Record<string, number> = {};
  for (const table of store.tables()) {
    let values: WrappedValue[] = [];
    do {
      values = await store.wrappedValues(table, values[values.length - 1]?.id ?? '', page);
      for (const { blob } of values) {
        const id = kekIdOf(blob);
        counts[id] = (counts[id] ?? 0) + 1;
      }
    } while (values.length === page);
  }
  return counts;
}
