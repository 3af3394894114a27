/**
 * Wrapped values kept inside a JSON column (a managed certificate's TSIG secret lives in its
 * solver spec): found, read and re-wrapped for `kek rotate` like a column of their own. The
 * value is base64 text at `path`; a re-wrap is compare-and-swap on the whole JSON text.
 */
import type { Queryable } from './db.ts';

export interface JsonField {
  /** Keys from the document's root to the base64 value; the last one is unique to such values. */
  path: readonly string[];
}

/** A LIKE pattern matching the rows whose JSON may hold the value. */
export const jsonLike = (f: JsonField): string => `%"${f.path.at(-1) ?? ''}"%`;

function valueAt(doc: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), doc);
}

/** The wrapped blob in `text`, or undefined when the document does not hold one. */
export function jsonBlob(text: string, f: JsonField): Buffer | undefined {
  const value = valueAt(JSON.parse(text), f.path);
  return typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
}

/** Replaces the blob `old` at the field with `blob`; false when the row or its value changed meanwhile. */
export async function rewrapJson(q: Queryable, where: { table: string; id: string; column: string }, id: string, f: JsonField, old: Buffer, blob: Buffer): Promise<boolean> {
  const [row] = await q.query<{ doc: string }>(`SELECT ${where.column} AS doc FROM ${where.table} WHERE ${where.id} = ?`, [id]);
  if (row === undefined) return false;
  const doc = JSON.parse(row.doc) as unknown;
  const parent = valueAt(doc, f.path.slice(0, -1));
  const key = f.path.at(-1) ?? '';
  if (parent === null || typeof parent !== 'object' || (parent as Record<string, unknown>)[key] !== old.toString('base64')) return false;
  (parent as Record<string, unknown>)[key] = blob.toString('base64');
  const n = await q.exec(`UPDATE ${where.table} SET ${where.column} = ? WHERE ${where.id} = ? AND ${where.column} = ?`, [JSON.stringify(doc), id, row.doc]);
  return n === 1;
}
