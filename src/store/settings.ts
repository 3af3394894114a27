import type { Queryable } from './db.ts';

/** Small key/value settings shared by every node (e.g. the wrapped nonce key, the KEK verifier). */
export async function getSetting(q: Queryable, key: string): Promise<string | undefined> {
  const rows = await q.query<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
  return rows[0]?.value;
}

/** Stores `value` unless the key exists; returns the value that is stored afterwards (first writer wins). */
export async function getOrCreateSetting(q: Queryable, key: string, create: () => string): Promise<string> {
  const found = await getSetting(q, key);
  if (found !== undefined) return found;
  await q.exec('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, create()]);
  return (await getSetting(q, key)) as string;
}
