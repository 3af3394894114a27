import { parseArgs } from 'node:util';

export type TargetName = 'pebble' | 'certainty';

export interface BenchOptions {
  readonly orders: number;
  readonly concurrency: number;
  readonly maxSeconds: number;
  readonly accounts: number;
  readonly warmup: number;
  readonly targets: readonly TargetName[];
  readonly databaseUrl?: string;
  /** Start a throwaway PostgreSQL cluster for Certainty (test/support/postgres.ts). */
  readonly postgres: boolean;
  readonly json?: string;
  readonly build: boolean;
  /** Directory for Certainty's CPU profile (`node --cpu-prof`), written when it stops. */
  readonly cpuProf?: string;
}

export const USAGE = `usage: npm run bench -- [options]
  --target pebble|certainty|both   servers to measure, one after the other (default both)
  --orders N                       complete orders per target, at most (default 300)
  --concurrency N                  orders in flight (default 16)
  --max-seconds N                  no order starts after this many seconds (default 120)
  --accounts N                     accounts created before timing (default: --concurrency)
  --warmup N                       untimed orders per target before the measured load (default 0)
  --database-url URL               run Certainty on this PostgreSQL database instead of SQLite
  --postgres                       run Certainty on a throwaway local PostgreSQL cluster
  --json FILE                      also write the results as JSON
  --skip-build                     do not run "npm run build" before starting Certainty
  --cpu-prof DIR                   write Certainty's CPU profile (node --cpu-prof) into DIR when it stops`;

/** Inclusive limits, so every run stays bounded in count and time whatever is asked. */
const LIMITS = { orders: 100_000, concurrency: 512, 'max-seconds': 3_600, accounts: 1_000, warmup: 10_000 } as const;

function int(name: keyof typeof LIMITS, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > LIMITS[name]) {
    throw new Error(`--${name} must be an integer from ${min} to ${LIMITS[name]}, not ${JSON.stringify(value)}`);
  }
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      target: { type: 'string' },
      orders: { type: 'string' },
      concurrency: { type: 'string' },
      'max-seconds': { type: 'string' },
      accounts: { type: 'string' },
      warmup: { type: 'string' },
      'database-url': { type: 'string' },
      postgres: { type: 'boolean' },
      json: { type: 'string' },
      'skip-build': { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const target = values.target ?? 'both';
  if (target !== 'pebble' && target !== 'certainty' && target !== 'both') {
    throw new Error(`--target must be pebble, certainty or both, not ${JSON.stringify(target)}`);
  }
  if (values.postgres && values['database-url']) throw new Error('--postgres and --database-url exclude each other');
  const concurrency = int('concurrency', values.concurrency, 16, 1);
  return {
    orders: int('orders', values.orders, 300, 1),
    concurrency,
    maxSeconds: int('max-seconds', values['max-seconds'], 120, 1),
    accounts: int('accounts', values.accounts, concurrency, 1),
    warmup: int('warmup', values.warmup, 0, 0),
    targets: target === 'both' ? ['pebble', 'certainty'] : [target],
    ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
    postgres: values.postgres === true,
    ...(values.json ? { json: values.json } : {}),
    build: values['skip-build'] !== true,
    ...(values['cpu-prof'] ? { cpuProf: values['cpu-prof'] } : {}),
  };
}
