/**
 * Pebble and Certainty, one after the other, on the same load of complete ACME orders with real
 * http-01 validation against one local responder. Prints figures; asserts nothing about them.
 * See docs/benchmarks.md.
 */
import { writeFile } from 'node:fs/promises';
import { AcmeClient, AcmeTransport } from '../src/acme-client/client.ts';
import { startTestDns } from '../test/support/dns.ts';
import { startPostgres, type PgCluster } from '../test/support/postgres.ts';
import { runLoad } from './load.ts';
import { commandLine, parseOptions, USAGE, type BenchOptions, type TargetName } from './options.ts';
import { formatResults, machineFacts, ratio, runMain, type TargetOutcome } from './report.ts';
import { startHttp01Responder, type Http01Responder } from '../src/acme-client/responder.ts';
import { startTarget, type TargetEnvironment } from './targets.ts';
import { beginSqliteGrowth, startDatabaseMeter, type DatabaseMeter } from './database.ts';
import { sampleRss } from './proc.ts';

/** Creates `count` accounts, `parallel` at a time; not part of the timed load. */
async function createAccounts(transport: AcmeTransport, count: number, parallel: number): Promise<AcmeClient[]> {
  const clients = Array.from({ length: count }, () => new AcmeClient(transport));
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(clients.slice(i, i + parallel).map((c) => c.createAccount()));
  }
  return clients;
}

/** What every target is measured with. */
interface BenchContext {
  readonly opts: BenchOptions;
  readonly env: TargetEnvironment;
  readonly responder: Http01Responder;
  /** Makes names unique per run, so a reused PostgreSQL database sees new identifiers. */
  readonly runTag: string;
}

async function benchTarget(ctx: BenchContext, name: TargetName, db: DatabaseMeter | undefined): Promise<TargetOutcome> {
  const { opts, responder, runTag } = ctx;
  const target = await startTarget(name, ctx.env, {
    build: opts.build, ...(db === undefined ? {} : { databaseUrl: db.url }), ...(opts.cpuProf === undefined ? {} : { cpuProfDir: opts.cpuProf }),
    ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
    ...(opts.workers === undefined ? {} : { workers: opts.workers }),
  });
  const transport = new AcmeTransport({ directoryUrl: target.directoryUrl, ca: target.ca, maxSockets: opts.concurrency * 2 });
  try {
    const clients = await createAccounts(transport, opts.accounts, Math.min(opts.concurrency, 64));
    const load = { concurrency: opts.concurrency, maxSeconds: opts.maxSeconds, solver: responder };
    if (opts.warmup > 0) {
      await runLoad(clients, { ...load, orders: opts.warmup, name: (n) => `w${n}.${runTag}.bench.test` });
    }
    const servedBefore = responder.served();
    const rss = sampleRss(() => target.rssBytes());
    const endDatabase = await db?.begin();
    const endSqlite = target.sqliteFile === undefined ? undefined : beginSqliteGrowth(target.sqliteFile);
    const serverCpuBefore = await target.cpuSeconds();
    const clientCpuBefore = process.cpuUsage();
    const measured = { ...load, orders: opts.orders, name: (n: number) => `o${n}.${runTag}.bench.test` };
    const result = await runLoad(clients, opts.rate === undefined ? measured : { ...measured, rate: opts.rate });
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpuAfter = await target.cpuSeconds();
    const database = await endDatabase?.();
    const sqlite = await endSqlite?.();
    const rssSummary = await rss.stop();
    return {
      ...result,
      ...(rssSummary === undefined ? {} : { rss: rssSummary }),
      ...(database === undefined ? {} : { database }),
      ...(sqlite === undefined ? {} : { sqlite }),
      accounts: clients.length,
      validationsServed: responder.served() - servedBefore,
      serverCpuSeconds: serverCpuBefore === undefined || serverCpuAfter === undefined ? null : serverCpuAfter - serverCpuBefore,
      clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    };
  } finally {
    transport.close();
    await target.stop();
  }
}

function database(opts: BenchOptions): string {
  if (opts.postgres) return 'PostgreSQL (throwaway local cluster)';
  return opts.databaseUrl ? 'PostgreSQL (--database-url)' : opts.dataDir ? `SQLite in ${opts.dataDir}` : 'SQLite';
}

async function main(): Promise<number> {
  const opts = commandLine(parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  const machine = await machineFacts();
  console.log('ACME complete-order benchmark (bench/acme-orders.ts)');
  console.log(`machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}, load ${machine.loadAverage}`);
  console.log(`node ${machine.node}, pebble ${machine.pebble}`);
  console.log(
    `load per target: ${opts.orders} orders (max ${opts.maxSeconds} s), concurrency ${opts.concurrency}, ` +
      `${opts.accounts} accounts, warmup ${opts.warmup}, http-01, certainty on ${database(opts)}` +
      (opts.rate === undefined ? ', closed loop' : `, open loop at ${opts.rate} orders/s`) + (opts.soak ? ', soak' : ''),
  );
  const runTag = `r${Date.now().toString(36)}`;
  const dns = await startTestDns();
  const responder = await startHttp01Responder();
  const ctx: BenchContext = { opts, env: { dnsAddress: dns.dnsAddress, http01Port: responder.port }, responder, runTag };
  console.log(`mock DNS ${dns.dnsAddress}, http-01 responder 127.0.0.1:${responder.port}, names o<n>.${runTag}.bench.test\n`);
  const outcomes: Record<string, TargetOutcome> = {};
  let cluster: PgCluster | undefined;
  // Certainty on PostgreSQL talks through the counting proxy; on a local cluster its CPU is read too.
  const certaintyDatabase = async (): Promise<DatabaseMeter | undefined> => {
    if (!opts.postgres) return opts.databaseUrl === undefined ? undefined : startDatabaseMeter(opts.databaseUrl, undefined);
    cluster ??= await startPostgres();
    return startDatabaseMeter(await cluster.createDatabase(), cluster.port);
  };
  try {
    for (const name of opts.targets) {
      process.stdout.write(`running ${name}... `);
      const db = name === 'certainty' ? await certaintyDatabase() : undefined;
      outcomes[name] = await benchTarget(ctx, name, db)
        .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }))
        .finally(() => db?.close());
      console.log('error' in outcomes[name] ? 'failed' : 'done');
    }
  } finally {
    await responder.close();
    await dns.stop();
    await cluster?.stop();
  }
  console.log(`\n${formatResults(outcomes).join('\n')}`);
  if (opts.json) {
    const { build: _build, databaseUrl: _url, postgres: _postgres, cpuProf: _cpuProf, dataDir: _dataDir, ...shown } = opts;
    const options = { ...shown, database: database(opts) };
    const report = { date: new Date().toISOString(), machine, options, results: outcomes, ratio: ratio(outcomes['certainty'], outcomes['pebble']) ?? null };
    await writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${opts.json}`);
  }
  return Object.values(outcomes).some((o) => 'error' in o) ? 1 : 0;
}

runMain(main);
