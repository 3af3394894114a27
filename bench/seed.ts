// `npm run bench:seed -- --rows N (--database-url URL | --data-dir DIR)`: fills a Certainty
// database with N certificates and their orders, authorizations, challenges and names (bench/seed-rows.ts),
// for measuring issuance and housekeeping on a large database. Prints rows per second.
import { parseArgs } from 'node:util';
import { openSeedTarget, seedDatabase, type SeedReport } from './seed-rows.ts';

const USAGE = `usage: npm run bench:seed -- [--rows N] (--database-url URL | --data-dir DIR) [options]
  --rows N               certificates to add, with ~1.11 N orders and authorizations (default 1000000)
  --database-url URL     PostgreSQL (postgres://…) or SQLite (sqlite:<file>) database to fill
  --data-dir DIR         fill the SQLite database of this data directory (DIR/certainty.db)
  --months N             history spread over the last N months (default 12)
  --max-seconds N        start no batch after N seconds (default 900)`;

const LIMITS = { rows: 10_000_000, months: 120, 'max-seconds': 7_200 } as const;

function int(name: keyof typeof LIMITS, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > LIMITS[name]) throw new Error(`--${name} must be an integer from 1 to ${LIMITS[name]}, not ${JSON.stringify(value)}`);
  return n;
}

const total = (r: SeedReport): number => Object.values(r.rows).reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      rows: { type: 'string' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
      months: { type: 'string' }, 'max-seconds': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if ((values['database-url'] === undefined) === (values['data-dir'] === undefined)) throw new Error(`give one of --database-url and --data-dir\n${USAGE}`);
  const options = {
    rows: int('rows', values.rows, 1_000_000), months: int('months', values.months, 12), maxSeconds: int('max-seconds', values['max-seconds'], 900),
    now: Date.now(),
  };
  const db = await openSeedTarget({ databaseUrl: values['database-url'], dataDir: values['data-dir'] });
  let shown = 0;
  try {
    const report = await seedDatabase(db, {
      ...options,
      progress: (r) => {
        if (r.seconds - shown < 10) return;
        shown = r.seconds;
        console.log(`${r.seconds.toFixed(0)} s: ${r.rows['certificates'] ?? 0} certificates, ${Math.round(total(r) / r.seconds)} rows/s`);
      },
    });
    for (const [table, n] of Object.entries(report.rows)) console.log(`${table.padEnd(18)} ${String(n).padStart(9)} rows`);
    console.log(`${total(report)} rows in ${report.seconds.toFixed(1)} s on ${db.dialect.name}: ${Math.round(total(report) / report.seconds)} rows/s`
      + (report.complete ? '' : ` (stopped by --max-seconds before ${options.rows} certificates)`));
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
