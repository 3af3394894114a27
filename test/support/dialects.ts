/** The database dialects the integration and end-to-end suites run on. */
export type Dialect = 'sqlite' | 'postgres';

/** Dialects to run on: env `DIALECTS` (comma separated), default both. */
export function dialects(): Dialect[] {
  const list = (process.env['DIALECTS'] ?? 'sqlite,postgres').split(',').map((d) => d.trim()).filter((d) => d !== '');
  for (const d of list) if (d !== 'sqlite' && d !== 'postgres') throw new Error(`DIALECTS: unknown dialect "${d}"`);
  return list as Dialect[];
}
