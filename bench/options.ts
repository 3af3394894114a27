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
  /** Serve this existing SQLite data directory (e.g. filled by `npm run bench:seed`), kept afterwards. */
  readonly dataDir?: string;
  /** Certainty's `--workers`: processes sharing its listener (src/workers.ts). */
  readonly workers?: number;
  /** Open loop: orders started per second (bench/load.ts); unset = closed loop. */
  readonly rate?: number;
  /** The no-stall soak: concurrency 256 for 60 s after warm-up, RSS reported (defaults only). */
  readonly soak: boolean;
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
  --cpu-prof DIR                   write Certainty's CPU profile (node --cpu-prof) into DIR when it stops
  --data-dir DIR                   serve this existing data directory (e.g. one filled by npm run bench:seed)
  --workers N                      run Certainty with N worker processes (serve --workers; default 1)
  --rate R                         open loop: start R orders per second (--concurrency caps those in flight)
  --soak                           no-stall soak: defaults become --target certainty --concurrency 256
                                   --max-seconds 60 --orders 100000 --warmup 256 (each still overridable)`;

/** Inclusive limits, so every run stays bounded in count and time whatever is asked. */
const LIMITS = { orders: 100_000, concurrency: 512, 'max-seconds': 7_200, accounts: 1_000, warmup: 10_000, workers: 64 } as const;

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
      'data-dir': { type: 'string' },
      workers: { type: 'string' },
      rate: { type: 'string' },
      soak: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const soak = values.soak === true;
  const target = values.target ?? (soak ? 'certainty' : 'both');
  if (target !== 'pebble' && target !== 'certainty' && target !== 'both') {
    throw new Error(`--target must be pebble, certainty or both, not ${JSON.stringify(target)}`);
  }
  if (values.postgres && values['database-url']) throw new Error('--postgres and --database-url exclude each other');
  const concurrency = int('concurrency', values.concurrency, soak ? 256 : 16, 1);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0 && rate <= 1_000)) throw new Error(`--rate must be a number above 0 and at most 1000, not ${JSON.stringify(values.rate)}`);
  return {
    orders: int('orders', values.orders, soak ? 100_000 : 300, 1),
    concurrency,
    maxSeconds: int('max-seconds', values['max-seconds'], soak ? 60 : 120, 1),
    accounts: int('accounts', values.accounts, Math.min(concurrency, LIMITS.accounts), 1),
    warmup: int('warmup', values.warmup, soak ? 256 : 0, 0),
    targets: target === 'both' ? ['pebble', 'certainty'] : [target],
    ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
    postgres: values.postgres === true,
    ...(values.json ? { json: values.json } : {}),
    build: values['skip-build'] !== true,
    ...(values['cpu-prof'] ? { cpuProf: values['cpu-prof'] } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values.workers === undefined ? {} : { workers: int('workers', values.workers, 1, 1) }),
    ...(rate === undefined ? {} : { rate }),
    soak,
  };
}

/**
 * A bench's command line: its options, or the exit code once the mistake and the usage (2) or the
 * usage asked for (0) is printed.
 */
export function commandLine<T extends object>(parse: (argv: readonly string[]) => T | 'help', usage: string, argv: readonly string[] = process.argv.slice(2)): T | number {
  let opts: T | 'help';
  try {
    opts = parse(argv);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return 2;
  }
  if (opts === 'help') {
    console.log(usage);
    return 0;
  }
  return opts;
}
