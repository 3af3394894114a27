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
// Unit tests share no port, file or database, so they run a file per core; the rest keep Node's
// default (one fewer than the cores) because they start servers and databases of their own.
const unitOnly = dirs.length === 1 && dirs[0] === 'src';
const concurrency = unitOnly ? [`--test-concurrency=${Math.max(2, availableParallelism())}`] : [];
// Spec output for people; a TAP copy to read the totals from for the closing line.
const tap = join(mkdtempSync(join(tmpdir(), 'certainty-tests-')), 'results.tap');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', ...concurrency, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
  { cwd: root, stdio: 'inherit' },
);
const totals = readFileSync(tap, 'utf8').split('\n').reduce((acc, line) => {
  const m = /^# (pass|fail|skipped|cancelled) (\d+)$/.exec(line);
  if (m) acc[m[1]] = Number(m[2]);
  return acc;
}, { pass: 0, fail: 0, skipped: 0, cancelled: 0 });
console.log(`${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped`);
process.exit(result.status ?? 1);
