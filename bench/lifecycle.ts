/**
 * Renewing a fleet: N managed certificates, each with a file target, ordered from a local
 * upstream Certainty (ACME with ARI) over real http-01; the time until all are issued and
 * deployed, then `POST /admin/managed/NAME/renew` for all of them and the time until every file
 * holds the renewed certificate, verified. Prints figures; asserts only that each certificate got
 * exactly one upstream order per phase. See docs/benchmarks.md, "Renewing a fleet".
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { percentile } from '../src/lab/load.ts';
import { run } from '../test/support/run.ts';
import { fleetDocument, pollFiles, type DeployWatch, type FleetCert } from '../src/lab/fleet-files.ts';
import { fleetCerts, startFleet, type Fleet } from './lifecycle-fleet.ts';
import { listenerProcessGroup, processGroupCpuSeconds } from './proc.ts';
import { commandLine } from './options.ts';
import { machineFacts, runMain } from './report.ts';

const USAGE = `usage: npm run bench:lifecycle -- [options]
  --count N         managed certificates (default 1000, at most 5000)
  --max-seconds N   each phase gives up after this many seconds (default 1800)
  --json FILE       also write the results as JSON
  --kill-halfway    SIGKILL the managed node when half the renewals are deployed, and start it again
  --skip-build      do not run "npm run build" first`;

interface Options { readonly count: number; readonly maxSeconds: number; readonly json?: string; readonly build: boolean; readonly kill: boolean }

function parseOptions(argv: readonly string[]): Options | 'help' {
  const { values } = parseArgs({ args: [...argv], strict: true, options: {
    count: { type: 'string' }, 'max-seconds': { type: 'string' }, json: { type: 'string' }, 'skip-build': { type: 'boolean' }, 'kill-halfway': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  } });
  if (values.help) return 'help';
  const int = (name: string, v: string | undefined, fallback: number, max: number): number => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer from 1 to ${max}, not ${JSON.stringify(v)}`);
    return n;
  };
  return {
    count: int('count', values.count, 1000, 5000), maxSeconds: int('max-seconds', values['max-seconds'], 1800, 7200),
    ...(values.json ? { json: values.json } : {}), build: values['skip-build'] !== true, kill: values['kill-halfway'] === true,
  };
}

/** What one phase measured. */
interface Phase {
  readonly done: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** utime + stime of the managed node (and of the upstream) during the phase, per certificate. */
  readonly nodeCpuMsPerCert: number | null;
  readonly upstreamCpuMsPerCert: number | null;
  readonly duplicateDeploys: number;
}

type Cpu = () => Promise<number | undefined>;

function cpuOf(port: number): Cpu {
  const group = listenerProcessGroup(port);
  return async () => {
    const pgid = await group;
    return pgid === undefined ? undefined : processGroupCpuSeconds(pgid);
  };
}

/**
 * Polls the files every 500 ms (bounded by `maxSeconds`) until each certificate's verified serial
 * differs from `before` (empty: any serial), then 15 s more (past a job claim) for late rewrites.
 * `halfway` runs once, without being awaited by the poll, when half are done; `atEnd` when all are.
 */
async function waitDeployed(certs: readonly FleetCert[], before: ReadonlyMap<string, string>, startedAt: ReadonlyMap<string, number>, maxSeconds: number, hooks: { halfway?: (() => Promise<void>) | undefined; atEnd(): Promise<void> }): Promise<DeployWatch> {
  const watch: DeployWatch = { done: new Map(), duplicateDeploys: 0 };
  const stamps = new Map<string, string>();
  const deadline = Date.now() + maxSeconds * 1000;
  let fault: Promise<void> | undefined;
  while (watch.done.size < certs.length && Date.now() < deadline) {
    await pollFiles(certs, before, startedAt, stamps, watch);
    if (hooks.halfway !== undefined && fault === undefined && watch.done.size >= certs.length / 2) {
      fault = hooks.halfway();
      fault.catch(() => undefined); // awaited below, after the poll
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await hooks.atEnd();
  await fault;
  for (const until = Date.now() + 15_000; Date.now() < until;) {
    await pollFiles(certs, before, startedAt, stamps, watch);
    await new Promise((r) => setTimeout(r, 500));
  }
  return watch;
}

interface PhaseSteps {
  /** Starts the phase's work, setting each certificate's start time. */
  start(startedAt: Map<string, number>): Promise<void>;
  halfway?: () => Promise<void>;
}

async function phase(certs: readonly FleetCert[], before: ReadonlyMap<string, string>, opts: Options, cpus: { node: Cpu; upstream: Cpu }, steps: PhaseSteps): Promise<Phase & { serials: Map<string, string> }> {
  const [node0, up0] = [await cpus.node(), await cpus.upstream()];
  const t0 = Date.now();
  const startedAt = new Map<string, number>();
  await steps.start(startedAt);
  let seconds = 0;
  let [node1, up1]: Array<number | undefined> = [];
  const { done, duplicateDeploys } = await waitDeployed(certs, before, startedAt, opts.maxSeconds, {
    halfway: steps.halfway,
    atEnd: async () => {
      seconds = (Date.now() - t0) / 1000;
      [node1, up1] = [await cpus.node(), await cpus.upstream()];
    },
  });
  const sorted = [...done.values()].map((d) => d.ms).sort((a, b) => a - b);
  // A restarted node's CPU is not in its new process: no figure rather than a wrong one.
  const perCert = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined || done.size === 0 || b < a ? null : Math.round(((b - a) * 1000 / done.size) * 10) / 10);
  return {
    done: done.size, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round((done.size / seconds) * 100) / 100,
    p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), duplicateDeploys,
    nodeCpuMsPerCert: steps.halfway === undefined ? perCert(node0, node1) : null, upstreamCpuMsPerCert: perCert(up0, up1),
    serials: new Map([...done].map(([k, v]) => [k, v.serial])),
  };
}

/** Orders the upstream holds, summed over its accounts. */
async function upstreamOrders(fleet: Fleet): Promise<number> {
  const accounts = JSON.parse(await fleet.upstream.cli(['account', 'list', '--json'])) as Array<{ orders: number | string }>;
  return accounts.reduce((n, a) => n + Number(a.orders), 0);
}

/** `POST …/renew` for every certificate, 16 requests at a time, each one's clock started as it is sent. */
async function renewAll(fleet: Fleet, certs: readonly FleetCert[], startedAt: Map<string, number>): Promise<void> {
  for (let i = 0; i < certs.length; i += 16) {
    await Promise.all(certs.slice(i, i + 16).map(async (c) => {
      startedAt.set(c.name, Date.now());
      await fleet.admin('POST', `/admin/managed/${c.name}/renew`);
    }));
  }
}

function line(name: string, p: Phase): string {
  return `${name.padEnd(22)} ${String(p.done).padStart(5)} ${p.seconds.toFixed(1).padStart(8)} ${p.perSecond.toFixed(2).padStart(8)} ${String(p.p50Ms).padStart(8)} ${String(p.p99Ms).padStart(8)}` +
    ` ${String(p.nodeCpuMsPerCert ?? '-').padStart(12)} ${String(p.upstreamCpuMsPerCert ?? '-').padStart(14)}`;
}

async function main(): Promise<number> {
  const opts = commandLine(parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  const machine = await machineFacts();
  console.log('Renewing a fleet (bench/lifecycle.ts)');
  console.log(`machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}, load ${machine.loadAverage}; node ${machine.node}`);
  console.log(`${opts.count} managed certificates, http-01, one file target each, from an upstream Certainty; both on SQLite`);
  if (opts.build) await run('npm', ['run', '--silent', 'build'], { cwd: import.meta.dirname, timeoutMs: 300_000 });
  const fleet = await startFleet(opts.count * 3);
  try {
    const certs = fleetCerts(fleet.dir, opts.count);
    const cpus = { node: cpuOf(fleet.node.port), upstream: cpuOf(fleet.upstream.port) };
    const issued = await phase(certs, new Map(), opts, cpus, { start: async (startedAt) => {
      const now = Date.now();
      for (const c of certs) startedAt.set(c.name, now);
      // In pieces: a request body is limited to 64 KiB (acme.maxBodyBytes); without prune, each adds its own.
      for (let i = 0; i < certs.length; i += 200) await fleet.admin('POST', '/admin/apply', fleetDocument(certs.slice(i, i + 200), 'up'));
    } });
    const ordersIssued = await upstreamOrders(fleet);
    const halfway = async (): Promise<void> => {
      console.log(`SIGKILL the managed node (half the renewals deployed), then start it again`);
      await fleet.node.kill9();
      await fleet.node.restart();
    };
    const renewed = await phase(certs, issued.serials, opts, cpus, { start: (startedAt) => renewAll(fleet, certs, startedAt), ...(opts.kill ? { halfway } : {}) });
    const ordersRenewed = (await upstreamOrders(fleet)) - ordersIssued;
    console.log(`\n${'phase'.padEnd(22)} ${'done'.padStart(5)} ${'secs'.padStart(8)} ${'certs/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'node cpu ms'.padStart(12)} ${'upstream cpu ms'.padStart(14)}`);
    console.log(line('issue + deploy', issued));
    console.log(line('renew + deploy + verify', renewed));
    console.log(`\nupstream orders: ${ordersIssued} to issue, ${ordersRenewed} to renew (${opts.count} each expected); cpu ms are per certificate`);
    console.log(`duplicate deploys (files written again after they held the new certificate): ${issued.duplicateDeploys} issuing, ${renewed.duplicateDeploys} renewing`);
    if (opts.json) {
      const { serials: _a, ...i } = issued;
      const { serials: _b, ...r } = renewed;
      await writeFile(opts.json, `${JSON.stringify({ date: new Date().toISOString(), machine, count: opts.count, issued: i, renewed: r, ordersIssued, ordersRenewed }, null, 2)}\n`);
    }
    const complete = issued.done === opts.count && renewed.done === opts.count;
    const duplicates = issued.duplicateDeploys + renewed.duplicateDeploys;
    return complete && ordersIssued === opts.count && ordersRenewed === opts.count && duplicates === 0 ? 0 : 1;
  } finally {
    await fleet.stop();
  }
}

runMain(main);
