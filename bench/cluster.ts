/**
 * The same load of complete ACME orders (http-01 against one local responder) against one node
 * directly, one node behind HAProxy, and three nodes behind HAProxy, all on one throwaway
 * PostgreSQL. Prints figures; asserts nothing about them. See docs/ha.md.
 *
 *   node --import tsx bench/cluster.ts [--orders N] [--concurrency N] [--max-seconds N]
 *     [--accounts N] [--warmup N] [--targets single,single-haproxy,cluster] [--json FILE] [--skip-build]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { AcmeClient, AcmeTransport } from '../src/acme-client/client.ts';
import { REPO_ROOT, startCertainty } from '../test/support/certainty.ts';
import { startCluster } from '../test/support/cluster.ts';
import { startTestDns } from '../test/support/dns.ts';
import { freePort } from '../test/support/free-port.ts';
import { startPostgres, type PgCluster } from '../test/support/postgres.ts';
import { run } from '../test/support/run.ts';
import { runLoad, type LoadResult } from './load.ts';
import { startHttp01Responder, type Http01Responder } from '../src/acme-client/responder.ts';
import { BENCH_ENV } from './targets.ts';
import { listenerPid, listenerProcessGroup, processGroupCpuSeconds, processTreeCpuSeconds } from './proc.ts';
import { runMain } from './report.ts';

const TARGETS = ['single', 'single-haproxy', 'cluster'] as const;
type Target = (typeof TARGETS)[number];
const LABELS: Record<Target, string> = { single: '1 node', 'single-haproxy': '1 node + HAProxy', cluster: '3 nodes + HAProxy' };

interface Options { orders: number; concurrency: number; maxSeconds: number; accounts: number; warmup: number; targets: Target[]; json?: string; build: boolean }

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: {
      orders: { type: 'string' }, concurrency: { type: 'string' }, 'max-seconds': { type: 'string' }, accounts: { type: 'string' },
      warmup: { type: 'string' }, targets: { type: 'string' }, json: { type: 'string' }, 'skip-build': { type: 'boolean' },
    },
  });
  const targets = (v.targets ?? TARGETS.join(',')).split(',').map((t) => t.trim());
  for (const t of targets) if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`--targets: unknown target ${t}`);
  const concurrency = int('concurrency', v.concurrency, 16, 1, 256);
  return {
    orders: int('orders', v.orders, 300, 1, 20_000),
    concurrency,
    maxSeconds: int('max-seconds', v['max-seconds'], 60, 1, 1_800),
    accounts: int('accounts', v.accounts, concurrency, 1, 1_000),
    warmup: int('warmup', v.warmup, 20, 0, 2_000),
    targets: targets as Target[],
    ...(v.json ? { json: v.json } : {}),
    build: v['skip-build'] !== true,
  };
}

interface Running { directoryUrl: string; ca: string; ports: number[]; proxyPort: number | undefined; stop(): Promise<void> }

interface Env { dnsAddress: string; responder: Http01Responder; pg: PgCluster }

async function startTarget(target: Target, env: Env): Promise<Running> {
  if (target === 'single') {
    const node = await startCertainty({
      dnsAddress: env.dnsAddress, http01Port: env.responder.port, tlsAlpn01Port: await freePort(),
      databaseUrl: await env.pg.createDatabase(), env: { ...BENCH_ENV, CERTAINTY_LOG_LEVEL: 'warn' },
    });
    return { directoryUrl: node.directoryUrl, ca: await readFile(node.rootPemPath, 'utf8'), ports: [node.port], proxyPort: undefined, stop: () => node.dispose() };
  }
  const cluster = await startCluster({
    nodes: target === 'cluster' ? 3 : 1, pg: env.pg, dnsAddress: env.dnsAddress, http01Port: env.responder.port,
    env: { ...BENCH_ENV, CERTAINTY_LOG_LEVEL: 'warn' },
  });
  return {
    directoryUrl: cluster.directoryUrl, ca: cluster.rootPem, ports: cluster.nodes.map((n) => n.port),
    proxyPort: cluster.haproxy.frontPort, stop: () => cluster.stop(),
  };
}

async function cpuSeconds(ports: readonly number[]): Promise<number | undefined> {
  let total = 0;
  for (const port of ports) {
    const group = await listenerProcessGroup(port);
    if (group === undefined) return undefined;
    total += await processGroupCpuSeconds(group);
  }
  return total;
}

/** CPU ms per completed order of each process taking part; null where /proc could not tell. */
interface CpuShares { nodes: Array<number | null>; haproxy: number | null; postgres: number | null; bench: number }

interface Outcome { result: LoadResult; cpu: CpuShares }

/** CPU seconds so far of each node, HAProxy, PostgreSQL and this process. */
async function cpuNow(running: Running, postmaster: number | undefined): Promise<{ nodes: Array<number | undefined>; haproxy: number | undefined; postgres: number | undefined; bench: number }> {
  const nodes: Array<number | undefined> = [];
  for (const port of running.ports) nodes.push(await cpuSeconds([port]));
  const usage = process.cpuUsage();
  return {
    nodes,
    haproxy: running.proxyPort === undefined ? undefined : await cpuSeconds([running.proxyPort]),
    postgres: postmaster === undefined ? undefined : await processTreeCpuSeconds(postmaster),
    bench: (usage.user + usage.system) / 1e6,
  };
}

async function measure(target: Target, env: Env, opts: Options, tag: string): Promise<Outcome> {
  const running = await startTarget(target, env);
  const transport = new AcmeTransport({ directoryUrl: running.directoryUrl, ca: running.ca, maxSockets: opts.concurrency * 2 });
  try {
    const clients = Array.from({ length: opts.accounts }, () => new AcmeClient(transport));
    for (let i = 0; i < clients.length; i += 8) await Promise.all(clients.slice(i, i + 8).map((c) => c.createAccount()));
    const load = { concurrency: opts.concurrency, maxSeconds: opts.maxSeconds, solver: env.responder };
    if (opts.warmup > 0) await runLoad(clients, { ...load, orders: opts.warmup, name: (n) => `w${n}.${tag}.cluster-bench.test` });
    const postmaster = await listenerPid(env.pg.port);
    const before = await cpuNow(running, postmaster);
    const result = await runLoad(clients, { ...load, orders: opts.orders, name: (n) => `o${n}.${tag}.cluster-bench.test` });
    const after = await cpuNow(running, postmaster);
    const perOrder = (a: number | undefined, b: number | undefined): number | null =>
      a === undefined || b === undefined || result.completed === 0 ? null : ((b - a) * 1000) / result.completed;
    return {
      result,
      cpu: {
        nodes: after.nodes.map((a, i) => perOrder(before.nodes[i], a)),
        haproxy: perOrder(before.haproxy, after.haproxy),
        postgres: perOrder(before.postgres, after.postgres),
        bench: perOrder(before.bench, after.bench) ?? 0,
      },
    };
  } finally {
    transport.close();
    await running.stop();
  }
}

const sum = (xs: ReadonlyArray<number | null>): number | null => (xs.some((x) => x === null) ? null : xs.reduce<number>((a, x) => a + (x ?? 0), 0));

/** Where one order's CPU went, and how busy that kept the machine's cores over the run. */
function cpuLine(label: string, o: Outcome): string {
  const c = o.cpu;
  const fixed = (x: number | null): string => x?.toFixed(1) ?? '-';
  const total = sum([sum(c.nodes), c.haproxy ?? 0, c.postgres, c.bench]);
  const busy = total === null ? '-' : `${Math.round((total * o.result.completed) / 10 / (o.result.elapsedSeconds * cpus().length))} %`;
  return `${label}: cpu ms/order: nodes ${fixed(sum(c.nodes))} (${c.nodes.map(fixed).join(' + ')}), haproxy ${fixed(c.haproxy)}, ` +
    `postgresql ${fixed(c.postgres)}, bench client ${fixed(c.bench)}; total ${fixed(total)}, i.e. ${busy} of ${cpus().length} cores over the run`;
}

function format(outcomes: Partial<Record<Target, Outcome | { error: string }>>): string[] {
  const head = ['target', 'done', 'errors', 'orders/s', 'p50 ms', 'p90 ms', 'p99 ms', 'secs', 'node cpu ms/order', 'haproxy cpu ms/order', 'postgres cpu ms/order'];
  const lines = [head.map((h, i) => (i === 0 ? h.padEnd(18) : h.padStart(Math.max(8, h.length)))).join(' ')];
  const notes: string[] = [];
  for (const [target, o] of Object.entries(outcomes) as Array<[Target, Outcome | { error: string }]>) {
    if ('error' in o) {
      lines.push(`${LABELS[target].padEnd(18)} did not run: ${o.error.split('\n')[0] ?? ''}`);
      continue;
    }
    const r = o.result;
    const cells = [String(r.completed), String(r.failed), r.ordersPerSecond.toFixed(1), r.latencyMs.p50.toFixed(0), r.latencyMs.p90.toFixed(0),
      r.latencyMs.p99.toFixed(0), r.elapsedSeconds.toFixed(1), sum(o.cpu.nodes)?.toFixed(1) ?? '-', o.cpu.haproxy?.toFixed(1) ?? '-', o.cpu.postgres?.toFixed(1) ?? '-'];
    lines.push([LABELS[target].padEnd(18), ...cells.map((c, i) => c.padStart(Math.max(8, head[i + 1]?.length ?? 8)))].join(' '));
    notes.push(cpuLine(LABELS[target], o));
    if (r.stoppedBy === 'time') notes.push(`${LABELS[target]}: stopped by --max-seconds after ${r.started} orders started`);
    for (const [kind, n] of Object.entries(r.errors)) notes.push(`${LABELS[target]}: ${n} x ${kind} (e.g. ${r.errorExamples[kind] ?? ''})`);
  }
  const one = outcomes.single;
  const three = outcomes.cluster;
  if (one && three && !('error' in one) && !('error' in three) && one.result.ordersPerSecond > 0) {
    lines.push('', `3 nodes + HAProxy / 1 node: throughput ${(three.result.ordersPerSecond / one.result.ordersPerSecond).toFixed(2)}x, ` +
      `p50 ${(three.result.latencyMs.p50 / one.result.latencyMs.p50).toFixed(2)}x, p99 ${(three.result.latencyMs.p99 / one.result.latencyMs.p99).toFixed(2)}x`);
  }
  return notes.length > 0 ? [...lines, '', ...notes] : lines;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.build) await run('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  const cpu = cpus();
  console.log('ACME complete-order benchmark: one node vs a cluster (bench/cluster.ts)');
  console.log(`machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), load ${loadavg()[0]?.toFixed(2) ?? '?'}, node ${process.version}`);
  console.log(`per target: ${opts.orders} orders (max ${opts.maxSeconds} s), concurrency ${opts.concurrency}, ${opts.accounts} accounts, warmup ${opts.warmup}, PostgreSQL (throwaway local cluster)`);
  const dns = await startTestDns();
  const responder = await startHttp01Responder();
  const pg = await startPostgres();
  const env: Env = { dnsAddress: dns.dnsAddress, responder, pg };
  const outcomes: Partial<Record<Target, Outcome | { error: string }>> = {};
  const runTag = `r${Date.now().toString(36)}`;
  try {
    for (const target of opts.targets) {
      process.stdout.write(`running ${LABELS[target]}... `);
      outcomes[target] = await measure(target, env, opts, `${target}.${runTag}`).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
      console.log('error' in (outcomes[target] ?? {}) ? 'failed' : 'done');
    }
  } finally {
    await responder.close();
    await dns.stop();
    await pg.stop();
  }
  console.log(`\n${format(outcomes).join('\n')}`);
  if (opts.json) {
    await writeFile(opts.json, `${JSON.stringify({ date: new Date().toISOString(), options: { ...opts, build: undefined }, outcomes }, null, 2)}\n`);
    console.log(`\nwrote ${opts.json}`);
  }
  return Object.values(outcomes).some((o) => 'error' in o) ? 1 : 0;
}

runMain(main);
