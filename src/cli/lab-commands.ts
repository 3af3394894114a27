import type { Command } from 'commander';
import { labDown, labUp } from '../lab/lab.ts';
import { DEFAULT_TUNING, redactUrl, type LabTuning } from '../lab/lab-state.ts';
import { formatLabStatus, labStatus } from '../lab/lab-status.ts';
import { print } from './options.ts';
import { table } from '../table.ts';
import { progress } from './progress.ts';

const DEFAULT_DIR = './certainty-lab';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got "${value}"`);
  return n;
}

/**
 * The smallest value each tuning key takes: the product's, HAProxy's sense, and Patroni's
 * loop_wait 1 and retry_timeout 3, whose rule (loop_wait + 2 × retry_timeout <= ttl) puts the TTL
 * at 7 at least (Patroni after 3.0.2 raises a TTL under 20 to 20 itself).
 */
const TUNING_MINIMUM: Record<keyof LabTuning, number> = {
  leaseTtlMs: 3000, drainDelayMs: 0, frontCheckIntervalMs: 100, dbCheckIntervalMs: 100,
  patroniTtl: 7, patroniLoopWait: 1, patroniRetryTimeout: 3, housekeepingPeriodMs: 1000, crlPeriodMs: 1000,
};

/** `--tune leaseTtlMs=5000 patroniTtl=20`: known keys, integers no smaller than each key's minimum. */
export function parseTuning(pairs: readonly string[]): Partial<LabTuning> {
  const tuning: Partial<Record<keyof LabTuning, number>> = {};
  for (const pair of pairs) {
    const [key, value] = pair.split('=', 2);
    if (key === undefined || !(key in DEFAULT_TUNING)) throw new Error(`--tune ${pair}: unknown key; known: ${Object.keys(DEFAULT_TUNING).join(', ')}`);
    const n = Number(value);
    const min = TUNING_MINIMUM[key as keyof LabTuning];
    if (value === undefined || value === '' || !Number.isInteger(n) || n < min) throw new Error(`--tune ${pair}: expected ${key}=<integer of at least ${min}>`);
    tuning[key as keyof LabTuning] = n;
  }
  const t = { ...DEFAULT_TUNING, ...tuning };
  if (t.patroniLoopWait + 2 * t.patroniRetryTimeout > t.patroniTtl) {
    throw new Error(`--tune: Patroni needs patroniLoopWait + 2 × patroniRetryTimeout <= patroniTtl (${t.patroniLoopWait} + 2 × ${t.patroniRetryTimeout} > ${t.patroniTtl})`);
  }
  return tuning;
}

/** Runs `fn` with a step logger on stderr (stdout holds only the result): a line redrawn at a terminal, `lab: …` lines otherwise. */
async function withProgress<T>(fn: (log: (line: string) => void) => Promise<T>): Promise<T> {
  const bar = progress('lab');
  try {
    return await fn((line) => bar.step(line));
  } finally {
    bar.end();
  }
}

export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('a production-shaped HA cluster on this machine: etcd, Patroni, HAProxy, N nodes');
  lab
    .command('up')
    .description('start the lab in the background (see docs/lab.md)')
    .option('--dir <dir>', 'where the lab keeps its state', DEFAULT_DIR)
    .option('--nodes <n>', 'number of Certainty nodes', integer, 3)
    .option('--base-port <port>', 'first of the ports the lab uses on 127.0.0.1 (base..base+94)', integer, 25400)
    .option('--tune <key=value...>', `override a tuning default (${Object.keys(DEFAULT_TUNING).join(', ')}); see docs/ha.md`)
    .action(async (opts: { dir: string; nodes: number; basePort: number; tune?: string[] }) => {
      const started = Date.now();
      const tuning = parseTuning(opts.tune ?? []);
      const state = await withProgress((log) => labUp({ dir: opts.dir, nodes: opts.nodes, basePort: opts.basePort, tuning, log }));
      const dirFlag = opts.dir === DEFAULT_DIR ? '' : ` --dir ${opts.dir}`;
      process.stdout.write([
        `lab is up in ${((Date.now() - started) / 1000).toFixed(1)} s (${state.dir})`,
        `  ACME directory:   ${state.directoryUrl}`,
        `  root certificate: ${state.rootPemPath}`,
        `  database:         ${redactUrl(state.databaseUrl)} (passwords in ${state.dir}/secrets.json)`,
        'next:',
        `  certainty lab status${dirFlag}`,
        `  certainty drill all${dirFlag}`,
        `  certainty lab down${dirFlag}`,
        '',
      ].join('\n'));
    });
  lab
    .command('down')
    .description('stop every process of the lab and remove its directory')
    .option('--dir <dir>', 'the lab directory', DEFAULT_DIR)
    .option('--keep', 'keep the directory (data and logs)')
    .action(async (opts: { dir: string; keep?: boolean }) => {
      const started = Date.now();
      const { stopped } = await withProgress((log) => labDown(opts.dir, { keep: opts.keep === true, log }));
      process.stdout.write(`lab down in ${((Date.now() - started) / 1000).toFixed(1)} s: stopped ${stopped.length} processes${opts.keep === true ? `, kept ${opts.dir}` : ''}\n`);
    });
  lab
    .command('status')
    .description('every process, Patroni member, HAProxy server and node of the lab')
    .option('--dir <dir>', 'the lab directory', DEFAULT_DIR)
    .option('--json', 'print JSON')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const status = await labStatus(opts.dir);
      print(opts.json === true, status, () => formatLabStatus(status, table));
    });
}
