import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { runDrill, SCENARIOS } from '../lab/drill.ts';
import { LabControl } from '../lab/lab-control.ts';
import { readLab } from '../lab/lab-state.ts';
import { renderHtml } from '../lab/report-html.ts';
import { renderTable } from '../lab/report-table.ts';
import { progress } from './progress.ts';

const DEFAULT_DIR = './certainty-lab';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
}

async function writeReport(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/**
 * Ctrl-C (or SIGTERM) in the middle of a scenario must not leave its fault in place: a node
 * SIGSTOPped for good, or cut off from the database. Heal the lab, then exit 130.
 */
function undoOnInterrupt(dir: string): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`drill: ${signal}: undoing the current fault before exiting\n`);
    readLab(dir)
      .then((state) => new LabControl(state).heal())
      .then((lines) => lines.forEach((l) => process.stderr.write(`drill: ${l}\n`)))
      .catch((err: unknown) => process.stderr.write(`drill: could not heal the lab (${(err as Error).message}); run certainty lab status --dir ${dir}\n`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

interface DrillFlags { dir: string; json?: string; html?: string; quick?: boolean; concurrency: number; list?: boolean }

export function registerDrillCommands(program: Command): void {
  program
    .command('drill')
    .description('break parts of a running lab under ACME load and measure the failure table (see docs/lab.md)')
    .argument('[scenario...]', `one or more of: ${SCENARIOS.map((s) => s.name).join(', ')}; or all`)
    .option('--dir <dir>', 'the lab directory (certainty lab up --dir)', DEFAULT_DIR)
    .option('--json <file>', 'where to write the JSON report (default ./certainty-drill-reports/drill-<time>.json)')
    .option('--html <file>', 'where to write the HTML report (default beside the JSON)')
    .option('--quick', 'shorter steady phases around each fault (for CI)')
    .option('--concurrency <n>', 'orders in flight at once', positive, 4)
    .option('--list', 'list the scenarios and the fault each one injects, run nothing')
    .action(async (names: string[], opts: DrillFlags) => {
      if (opts.list === true) {
        process.stdout.write(`${SCENARIOS.map((s) => `${s.name.padEnd(18)} ${s.title}\n${' '.repeat(19)}${s.fault}`).join('\n')}\n`);
        return;
      }
      if (names.length === 0) throw new Error(`name a scenario or all: ${SCENARIOS.map((s) => s.name).join(', ')}`);
      undoOnInterrupt(opts.dir);
      // A line redrawn at a terminal, `drill: …` lines otherwise (stdout holds only the report).
      const bar = progress('drill');
      const report = await runDrill({
        dir: opts.dir, scenarios: names, quick: opts.quick === true, concurrency: opts.concurrency,
        log: (line) => bar.step(line),
      }).finally(() => bar.end());
      const stamp = report.startedAt.replace(/[:.]/g, '-');
      // Not inside the lab directory: `lab down` removes that.
      const json = opts.json ?? join('certainty-drill-reports', `drill-${stamp}.json`);
      const html = opts.html ?? json.replace(/\.json$/, '') + '.html';
      await writeReport(json, `${JSON.stringify(report, null, 2)}\n`);
      await writeReport(html, renderHtml(report));
      process.stdout.write(`${renderTable(report, { color: process.stdout.isTTY })}\nreports: ${json}, ${html}\n`);
      if (!report.pass) process.exitCode = 1;
    });
}
