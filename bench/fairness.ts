/**
 * Validation fairness: how long account B's first validation takes while
 * account A has a backlog of validations that hang (their DNS queries are never answered), on a
 * `certainty serve` with default settings. Prints figures; asserts nothing about them.
 * See docs/benchmarks.md.
 *
 *   npm run bench:fairness -- [--names N] [--samples N] [--postgres] [--skip-build]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AcmeClient, AcmeTransport, type AcmeError } from '../src/acme-client/client.ts';
import { startHttp01Responder, type Http01Responder } from '../src/acme-client/responder.ts';
import { startTestDnsServer, type TestDnsServer } from '../src/lab/dns-server.ts';
import { startCertainty } from '../test/support/certainty.ts';
import { freePort } from '../test/support/free-port.ts';
import { startPostgres, type PgCluster } from '../test/support/postgres.ts';
import { run } from '../test/support/run.ts';
import { commandLine } from './options.ts';
import { machineFacts, runMain } from './report.ts';
import { BENCH_ENV } from './targets.ts';

const USAGE = `usage: npm run bench:fairness -- [options]
  --names N      names in account A's order; all three challenges of each are triggered (default 100, at most 100)
  --samples N    accounts B, one after the other, each timing its first validation (default 5, at most 50)
  --postgres     run Certainty on a throwaway local PostgreSQL cluster (default SQLite)
  --skip-build   do not run "npm run build" first`;

interface Options { names: number; samples: number; postgres: boolean; build: boolean }

function parseOptions(argv: readonly string[]): Options | 'help' {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: { names: { type: 'string' }, samples: { type: 'string' }, postgres: { type: 'boolean' }, 'skip-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (v.help) return 'help';
  const int = (name: string, text: string | undefined, fallback: number, max: number): number => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
    return n;
  };
  return { names: int('names', v.names, 100, 100), samples: int('samples', v.samples, 5, 50), postgres: v.postgres === true, build: v['skip-build'] !== true };
}

/**
 * POSTs every challenge of A's order, 16 at a time; counts what was accepted, what was refused
 * for too many pending validations, and what was answered otherwise (an authorization whose
 * other challenge already failed can no longer be answered).
 */
async function triggerBacklog(a: AcmeClient, names: number, progress: { answered: number }): Promise<{ accepted: number; refused: number; other: number; ms: number }> {
  const hosts = Array.from({ length: names }, (_, i) => `a${i}.backlog.test`);
  const order = await a.newOrder(hosts);
  const challenges: string[] = [];
  for (const authz of order.authorizations as string[]) challenges.push(...(await a.getAuthorization(authz)).challenges.map((c: { url: string }) => c.url));
  let accepted = 0;
  let refused = 0;
  let other = 0;
  const started = performance.now();
  for (let i = 0; i < challenges.length; i += 16) {
    await Promise.all(challenges.slice(i, i + 16).map(async (url) => {
      const res = await a.transport.post(url, await a.transport.signJws({ url, key: a.key, kid: a.accountUrl as string, payload: {} }));
      if (res.status === 200) accepted++;
      else if (res.status === 429) refused++;
      else other++;
      progress.answered++;
    }));
  }
  return { accepted, refused, other, ms: performance.now() - started };
}

/** A new account's first validation (http-01 against the responder): ms from the challenge POST until it is valid. */
async function firstValidation(t: AcmeTransport, dns: TestDnsServer, responder: Http01Responder, name: string): Promise<number> {
  dns.set(name, { A: ['127.0.0.1'] });
  const b = new AcmeClient(t, undefined, { minIntervalMs: 10, maxIntervalMs: 50, maxRetryAfterMs: 50 });
  await b.createAccount();
  const order = await b.newOrder([name]);
  const authz = await b.getAuthorization(order.authorizations[0] as string);
  const ch = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
  await responder.present('http-01', authz.identifier, ch.token, await b.keyAuthorization(ch.token));
  const started = performance.now();
  const answered = await b.respondChallenge(ch.url);
  if (answered.status !== 'valid') await b.poll(ch.url, ['valid'], { timeoutMs: 60_000 });
  return performance.now() - started;
}

const fmt = (ms: number): string => `${Math.round(ms)} ms`;
const summary = (xs: number[]): string => {
  const sorted = [...xs].sort((x, y) => x - y);
  return `median ${fmt(sorted[Math.floor(sorted.length / 2)] ?? 0)}, max ${fmt(sorted[sorted.length - 1] ?? 0)} (${xs.map(fmt).join(', ')})`;
};

async function measure(opts: Options, dns: TestDnsServer, responder: Http01Responder, databaseUrl: string | undefined): Promise<void> {
  const server = await startCertainty({
    dnsAddress: dns.address, http01Port: responder.port, tlsAlpn01Port: await freePort(), env: BENCH_ENV,
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
  });
  const t = new AcmeTransport({ directoryUrl: server.directoryUrl, ca: await readFile(server.rootPemPath, 'utf8'), maxSockets: 64 });
  try {
    const idle: number[] = [];
    for (let i = 0; i < opts.samples; i++) idle.push(await firstValidation(t, dns, responder, `idle${i}.b.test`));
    console.log(`account B's first validation, no backlog:          ${summary(idle)}`);
    const a = new AcmeClient(t);
    await a.createAccount();
    // B's accounts start once A has posted its first 32 challenges, while A goes on posting.
    const progress = { answered: 0 };
    const backlog = triggerBacklog(a, opts.names, progress);
    for (let waited = 0; progress.answered < 32 && waited < 120_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const busy: number[] = [];
    for (let i = 0; i < opts.samples; i++) busy.push(await firstValidation(t, dns, responder, `busy${i}.b.test`));
    const { accepted, refused, other, ms } = await backlog;
    console.log(`account A: ${opts.names} names × all challenges: ${accepted} validations accepted, ${refused} refused (rateLimited), ${other} otherwise answered, in ${fmt(ms)}`);
    console.log(`account B's first validation, during A's backlog: ${summary(busy)}`);
  } catch (err) {
    const detail = (err as AcmeError).problem?.detail;
    throw new Error(`${(err as Error).message}${detail ? `: ${detail}` : ''}\n--- server log ---\n${await server.logTail(40)}`, { cause: err });
  } finally {
    t.close();
    await server.stop('SIGKILL');
    await server.dispose();
  }
}

async function main(): Promise<number> {
  const opts = commandLine(parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  const machine = await machineFacts();
  console.log('Validation fairness benchmark (bench/fairness.ts)');
  console.log(`machine: ${machine.cores} cores (${machine.cpuModel}), node ${machine.node}, load ${machine.loadAverage}; certainty on ${opts.postgres ? 'PostgreSQL' : 'SQLite'}, default settings\n`);
  if (opts.build) await run('npm', ['run', '--silent', 'build'], { cwd: import.meta.dirname, timeoutMs: 300_000 });
  // Names not set (A's, and their _acme-challenge TXT names) are never answered: their validations hang.
  const dns = await startTestDnsServer({}, { fallback: 'drop' });
  const responder = await startHttp01Responder();
  let pg: PgCluster | undefined;
  try {
    if (opts.postgres) pg = await startPostgres();
    await measure(opts, dns, responder, await pg?.createDatabase());
  } finally {
    await responder.close();
    await dns.close();
    await pg?.stop();
  }
  return 0;
}

runMain(main);
