// `npm run bench:secrets -- [--seconds S] [--concurrency C] [--paths N]`: secret writes and reads
// per second through the use cases (policy check, envelope encryption with a fresh data key per
// version, the audit record committed with each write and each reveal), on SQLite and on a
// throwaway PostgreSQL. HTTP is left out: the admin API adds its own per-request cost (token check).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditLog } from '../src/audit/log.ts';
import { secretDeps } from '../src/context.ts';
import { Keyring } from '../src/kek/envelope.ts';
import { LocalKek } from '../src/kek/kek.ts';
import type { SecretDeps } from '../src/secrets/deps.ts';
import { readSecret } from '../src/secrets/read.ts';
import type { SecretCaller } from '../src/secrets/types.ts';
import { writeSecret } from '../src/secrets/write.ts';
import { SqlAuditChainStore } from '../src/store/audit-store.ts';
import type { Database } from '../src/store/db.ts';
import { migrate } from '../src/store/migrations.ts';
import { PostgresDatabase } from '../src/store/postgres.ts';
import { SqliteDatabase } from '../src/store/sqlite.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { makeTempDir, removeDir } from '../test/support/tmp.ts';

const USAGE = 'usage: npm run bench:secrets -- [--seconds S (per phase, default 5)] [--concurrency C (default 16)] [--paths N (default 1000)]';
const CALLER: SecretCaller = { actor: 'cli:bench', tokenId: undefined, admin: true };

function options(): { seconds: number; concurrency: number; paths: number } {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '16' }, paths: { type: 'string', default: '1000' }, help: { type: 'boolean' } } });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const o = { seconds: Number(values.seconds), concurrency: Number(values.concurrency), paths: Number(values.paths) };
  if (!(o.seconds > 0 && o.seconds <= 120) || !Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > 256 || !Number.isInteger(o.paths) || o.paths < 1) throw new Error(USAGE);
  return o;
}

/** Runs `op` from `concurrency` loops for `seconds`; operations per second and the median latency. */
async function phase(seconds: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<{ perSecond: number; p50Ms: number; count: number }> {
  const end = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let i = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await op(i++);
      latencies.push(performance.now() - t);
    }
  }));
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / ((performance.now() - start) / 1000), p50Ms: latencies[Math.floor(latencies.length / 2)] ?? 0, count: latencies.length };
}

async function measure(name: string, db: Database, o: ReturnType<typeof options>): Promise<string> {
  await migrate(db);
  const deps: SecretDeps = secretDeps({
    db, kek: new Keyring(new LocalKek(randomBytes(32), 'the bench KEK')), recorder: new AuditLog({ chain: new SqlAuditChainStore(db), nodeId: 'bench' }), now: Date.now,
  });
  const value = { user: 'app', password: randomBytes(24).toString('base64url') };
  const writes = await phase(o.seconds, o.concurrency, (i) => writeSecret(deps, CALLER, `bench/app-${i % o.paths}`, value));
  // Only paths the write phase reached (a slow database may not have written them all).
  const written = Math.min(o.paths, writes.count);
  const reads = await phase(o.seconds, o.concurrency, (i) => readSecret(deps, CALLER, `bench/app-${i % written}`));
  const row = (what: string, r: { perSecond: number; p50Ms: number }): string => `${name.padEnd(12)}${what.padEnd(8)}${r.perSecond.toFixed(0).padStart(10)}${r.p50Ms.toFixed(1).padStart(10)}`;
  return `${row('write', writes)}\n${row('read', reads)}\n`;
}

async function main(): Promise<void> {
  const o = options();
  process.stdout.write(`Secrets: ${o.concurrency} concurrent callers, ${o.paths} paths, ${o.seconds} s per phase; each write and each read commits an audit record\n\n`);
  process.stdout.write(`${'database'.padEnd(12)}${'op'.padEnd(8)}${'per s'.padStart(10)}${'p50 ms'.padStart(10)}\n`);
  const dir = await makeTempDir('certainty-bench-secrets');
  try {
    const sqlite = new SqliteDatabase(join(dir, 'bench.db'));
    process.stdout.write(await measure('sqlite', sqlite, o).finally(() => sqlite.close()));
    const cluster = await startPostgres();
    try {
      const pg = new PostgresDatabase(await cluster.createDatabase(), { poolSize: 10, connectTimeoutSeconds: 5, statementTimeoutMs: 15_000 });
      process.stdout.write(await measure('postgres', pg, o).finally(() => pg.close()));
    } finally {
      await cluster.stop();
    }
  } finally {
    await removeDir(dir);
  }
}

await main();
