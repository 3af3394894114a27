#!/usr/bin/env node
// Runs every test file with Node's test runner: unit tests beside the code (src/**/*.test.ts, which
// spawn no program) and the integration, end-to-end, cluster and lab tests under test/ (which run
// openssl, Pebble, PostgreSQL, certbot, lego, HAProxy, the built dist/ …). `--unit` runs only the
// first set, `--integration` only the second; other arguments narrow further:
// `npm test -- src/acme test/e2e/lego`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(walk(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const SETS = new Map([['--unit', 'src'], ['--integration', 'test']]);
const args = process.argv.slice(2);
const dirs = [...new Set(args.filter((a) => SETS.has(a)).map((a) => SETS.get(a)))];
const filters = args.filter((a) => !SETS.has(a));
const files = (dirs.length === 0 ? ['src', 'test'] : dirs).flatMap((d) => walk(join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p) || f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// Unit tests share no port, file or database, so they run a file per core. Integration,
// end-to-end, cluster and lab files start servers, databases and whole clusters, and their waits
// are sized for a machine that is theirs, so they run one after another after the unit tests.
// CERTAINTY_TEST_CONCURRENCY=N runs N integration and end-to-end files at a time (on a machine
// with cores to spare); cluster and lab files always run alone.
const cores = Math.max(2, availableParallelism());
const width = Number(process.env.CERTAINTY_TEST_CONCURRENCY ?? 0) || 1;
const unit = (f) => f.startsWith('src/');
const exclusive = (f) => f.startsWith('test/cluster/') || f.startsWith('test/lab/');
const phases = [
  { files: files.filter(unit), concurrency: cores },
  { files: files.filter((f) => !unit(f) && !exclusive(f)), concurrency: width },
  { files: files.filter(exclusive), concurrency: 1 },
].filter((p) => p.files.length > 0);

// Spec output for people; a TAP copy of each phase to read the totals from for the closing line.
const dir = mkdtempSync(join(tmpdir(), 'certainty-tests-'));
const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0 };
let status = 0;
for (const [i, phase] of phases.entries()) {
  const tap = join(dir, `results-${i}.tap`);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${phase.concurrency}`, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...phase.files],
    { cwd: root, stdio: 'inherit' },
  );
  for (const line of readFileSync(tap, 'utf8').split('\n')) {
    const m = /^# (pass|fail|skipped|cancelled) (\d+)$/.exec(line);
    if (m) totals[m[1]] += Number(m[2]);
  }
  if ((result.status ?? 1) !== 0) status = result.status ?? 1;
}
console.log(`${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped`);
process.exit(status);
