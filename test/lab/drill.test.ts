// `certainty drill all --quick` against a real lab, the way an operator runs it: `lab up`, every
// scenario under ACME load, the JSON and HTML reports checked against the pass criteria, `lab down`
// leaving no process behind. The scenarios' own waits bound it; quick mode keeps it to minutes.
import * as assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { humanDuration } from '../../src/duration.ts';
import type { DrillReport } from '../../src/lab/report.ts';
import { renderTable } from '../../src/lab/report-table.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { freeBasePort, missingPrograms, processesMentioning } from '../support/lab.ts';
import { runUnchecked } from '../support/run.ts';

const NODES = 3;
const BIN = join(REPO_ROOT, 'bin', 'certainty.js');
const SCENARIOS = ['node-kill', 'node-term', 'rolling-restart', 'lease-pause', 'node-db-cut', 'pg-kill', 'pg-switchover', 'etcd-member-lost', 'mass-renewal', 'renewal-rolling-restart'];
const RENEWALS = ['mass-renewal', 'renewal-rolling-restart'];

const skip = missingPrograms();

let root: string | undefined;
let dir: string | undefined;

const certainty = (args: readonly string[], timeoutMs: number) => runUnchecked(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, timeoutMs });

after(async () => {
  if (dir !== undefined) await certainty(['lab', 'down', '--dir', dir], 60_000);
  if (root !== undefined) await rm(root, { recursive: true, force: true });
}, { timeout: 90_000 });

/** Each figure a criterion names, read again from the report and held to the target here. */
function assertFigures(report: DrillReport): void {
  const byName = new Map(report.scenarios.map((s) => [s.name, s]));
  for (const s of report.scenarios) {
    assert.equal(s.figures.ordersFailed, 0, `${s.name}: orders failed after a retry`);
    assert.equal(s.figures.ordersLost, 0, `${s.name}: certificates received but not in the database`);
    assert.equal(s.figures.certificatesUnknown, 0, `${s.name}: certificates no client received`);
    assert.ok(s.figures.ordersCompleted > 0, `${s.name}: the load ran`);
    assert.ok(s.figures.readyzPolls > 10, `${s.name}: /readyz was polled`);
    assert.ok(s.timeline.events.some((e) => e.kind === 'fault'), `${s.name}: the fault is on the timeline`);
  }
  const ttl = Number((report.config['lab'] as { tuning: { leaseTtlMs: number } }).tuning.leaseTtlMs);
  assert.ok((byName.get('node-kill')?.figures.markedDownMs ?? Infinity) <= 3_000);
  assert.equal(byName.get('node-term')?.figures.failedRequests, 0);
  assert.equal(byName.get('rolling-restart')?.figures.failedRequests, 0);
  assert.equal(byName.get('rolling-restart')?.figures.jobsRunTwice, 0);
  assert.ok((byName.get('lease-pause')?.figures.takeoverMs ?? Infinity) <= ttl);
  assert.ok((byName.get('lease-pause')?.figures.dutiesResumeMs ?? Infinity) <= ttl);
  assert.ok((byName.get('node-db-cut')?.figures.notReadyMs ?? Infinity) <= 5_000);
  assert.ok((byName.get('pg-kill')?.figures.writesResumeMs ?? Infinity) <= 30_000);
  // A failover costs writes, not reads: directory and newNonce keep answering through the front.
  assert.ok((byName.get('pg-kill')?.figures.readsDownMs ?? Infinity) <= 5_000);
  // Each of the fleet renewed once: one upstream order, one deploy, no failure.
  for (const name of RENEWALS) {
    const f = byName.get(name)?.figures;
    assert.equal(f?.fleetSize, 40, `${name}: --quick renews 40`);
    assert.equal(f?.certificatesRenewed, 40, `${name}: renewed, deployed and verified`);
    assert.equal(f?.upstreamOrders, 40, `${name}: upstream orders`);
    assert.equal(f?.duplicateDeploys, 0, `${name}: duplicate deploys`);
    assert.equal(f?.renewalsFailed, 0, `${name}: failed renewals`);
    assert.ok(f?.renewedAllMs !== null && f?.renewedAllMs !== undefined, `${name}: time until all renewed`);
  }
  assert.ok(byName.get('mass-renewal')?.timeline.events.some((e) => e.kind === 'fault' && e.label.startsWith('SIGKILL')), 'mass-renewal killed a node half way');
}

/** What the operator read is the report written to disk: one row per scenario with its measured figures. */
function assertPrintedTable(stdout: string, report: DrillReport, json: string): void {
  assert.ok(stdout.includes(renderTable(report)), `the printed table is the JSON report's:\n${stdout}`);
  const lines = stdout.split('\n');
  for (const s of report.scenarios) {
    const row = lines.find((line) => line.startsWith('│') && line.includes(` ${s.name} `));
    assert.ok(row, `${s.name} has a row`);
    const renewed = s.figures.fleetSize === null ? [] : [`${s.figures.certificatesRenewed}/${s.figures.fleetSize} in ${humanDuration(s.figures.renewedAllMs)}`];
    for (const figure of ['PASS', humanDuration(s.figures.unavailabilityMs), `${s.figures.failedRequests} / ${s.figures.requests}`, `${s.figures.ordersFailed} (${s.figures.ordersRetried})`, ...renewed]) {
      assert.ok(row.includes(figure), `${s.name}: ${figure} in ${row}`);
    }
  }
  assert.match(stdout, new RegExp(`${SCENARIOS.length} of ${SCENARIOS.length} scenarios passed`));
  assert.ok(stdout.includes(`reports: ${json}, `));
}

test('certainty drill all --quick: every scenario passes its criteria on a real lab', { skip, timeout: 1_500_000 }, async () => {
  root = await mkdtemp(join(tmpdir(), 'certainty-drill-test-'));
  await chmod(root, 0o755); // PostgreSQL runs as `postgres` when we are root.
  dir = join(root, 'lab');
  const up = await certainty(['lab', 'up', '--dir', dir, '--nodes', String(NODES), '--base-port', String(await freeBasePort(NODES))], 180_000);
  assert.equal(up.code, 0, `lab up failed:\n${up.stderr}\n${up.stdout}`);

  const json = join(root, 'report.json');
  const html = join(root, 'report.html');
  const drill = await certainty(['drill', 'all', '--quick', '--concurrency', '3', '--dir', dir, '--json', json, '--html', html], 1_200_000);
  console.log(drill.stdout);
  const report = JSON.parse(await readFile(json, 'utf8')) as DrillReport;
  const failed = report.scenarios.filter((s) => !s.pass).map((s) => `${s.name}: ${s.error ?? s.criteria.filter((c) => !c.pass).map((c) => `${c.name} ${c.measured}`).join('; ')}`);
  assert.deepEqual(failed, [], `${drill.stderr}`);
  assert.equal(drill.code, 0);
  assert.deepEqual(report.scenarios.map((s) => s.name), SCENARIOS);
  for (const s of report.scenarios) assert.ok(s.criteria.length >= 3 && s.criteria.every((c) => c.pass), s.name);
  assertFigures(report);
  const page = await readFile(html, 'utf8');
  assert.equal(page.split('<svg').length - 1, SCENARIOS.length, 'one timeline chart per scenario');
  assertPrintedTable(drill.stdout, report, json);

  const down = await certainty(['lab', 'down', '--dir', dir], 90_000);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await processesMentioning(dir), []);
  dir = undefined;
});
