// `npm run bench:crl -- [--revoked N] [--shards 4,16,64] [--postgres | --database-url URL]`: CRLs
// at scale. Inserts N revoked, unexpired certificates of one issuer straight into a fresh
// database (multi-row INSERTs, no issuance), then builds the CRL the way a node does (src/ca/
// crl-publisher.ts over src/store/crl-store.ts, signed by src/ca/crl.ts): once as one complete
// CRL (`ca.crlShards` = 1) and, for each shard count, every shard's CRL. Prints build time split
// into the snapshot read, encoding + signing, and storing, and the CRL sizes. Times are wall clock
// on a shared machine: compare figures from one run.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { generateCrl } from '../src/ca/crl.ts';
import { upToDateCrl, type CrlPartition, type CrlStore } from '../src/ca/crl-publisher.ts';
import { shardForSerial } from '../src/ca/crl-shards.ts';
import { createHierarchy } from '../src/ca/hierarchy.ts';
import { randomSerialHex } from '../src/ca/issue.ts';
import { importPrivateKey } from '../src/ca/keys.ts';
import { SqlCrlStore } from '../src/store/crl-store.ts';
import type { Database } from '../src/store/db.ts';
import { migrate } from '../src/store/migrations.ts';
import { PostgresDatabase } from '../src/store/postgres.ts';
import { SqliteDatabase } from '../src/store/sqlite.ts';
import { startPostgres, type PgCluster } from '../test/support/postgres.ts';
import { makeTempDir, removeDir } from '../test/support/tmp.ts';

const USAGE = `usage: npm run bench:crl -- [options]
  --revoked N            revoked certificates to insert (default 100000, at most 2000000)
  --shards LIST          shard counts to compare with one complete CRL (default 4,16,64; each 2..1024)
  --postgres             use a throwaway local PostgreSQL cluster (test/support/postgres.ts)
  --database-url URL     use this empty PostgreSQL database instead (default: SQLite in a temp dir)`;

const DAY = 86_400_000;
const BATCH = 1000;
const ISSUER = 'bench-issuer';
/** Reasons as a CA sees them: mostly unspecified (no entry extension), then keyCompromise, superseded, cessationOfOperation. */
const REASONS = [0, 0, 0, 1, 4, 5];

interface Options {
  revoked: number;
  shards: number[];
  postgres: boolean;
  databaseUrl: string | undefined;
}

function options(): Options | undefined {
  const { values } = parseArgs({
    strict: true,
    options: { revoked: { type: 'string' }, shards: { type: 'string' }, postgres: { type: 'boolean' }, 'database-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return undefined;
  const revoked = Number(values.revoked ?? 100_000);
  if (!Number.isInteger(revoked) || revoked < 1 || revoked > 2_000_000) throw new Error(`--revoked must be an integer from 1 to 2000000\n${USAGE}`);
  const shards = (values.shards ?? '4,16,64').split(',').map(Number);
  if (shards.some((n) => !Number.isInteger(n) || n < 2 || n > 1024)) throw new Error(`--shards takes integers from 2 to 1024\n${USAGE}`);
  if (values.postgres && values['database-url'] !== undefined) throw new Error('--postgres and --database-url exclude each other');
  return { revoked, shards, postgres: values.postgres === true, databaseUrl: values['database-url'] };
}

/** The issuing intermediate: its row in `issuers` (for CRL numbers) and its signing key. */
async function issuer(db: Database, now: number) {
  const h = await createHierarchy({ algorithm: 'ecdsa-p256', name: 'Bench', rootValidityDays: 3650, intermediateValidityDays: 1825, now: new Date(now - DAY) });
  await db.exec(
    'INSERT INTO issuers (id, role, algorithm, cert_pem, chain_pem, key_wrapped, not_after, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [ISSUER, 'intermediate', 'ecdsa-p256', h.intermediate.certPem, h.intermediate.certPem, null, now + 1825 * DAY, 1, now],
  );
  return { certPem: h.intermediate.certPem, key: await importPrivateKey(h.intermediate.keyPkcs8) };
}

/** N revoked, unexpired certificates of the issuer, revoked over the last 80 days; their serials. */
async function insertRevoked(db: Database, n: number, now: number): Promise<string[]> {
  const serials: string[] = [];
  const cols = ['id', 'serial', 'account_id', 'order_id', 'issuer_id', 'der', 'chain_pem', 'identifiers', 'not_before', 'not_after', 'ari_id', 'revoked_at', 'revocation_reason', 'created_at'];
  const der = Buffer.alloc(16);
  for (let start = 0; start < n; start += BATCH) {
    const rows: unknown[] = [];
    const count = Math.min(BATCH, n - start);
    for (let i = 0; i < count; i++) {
      const serial = randomSerialHex();
      serials.push(serial);
      const id = randomBytes(12).toString('base64url');
      const revokedAt = now - Math.floor(Math.random() * 80 * DAY);
      rows.push(id, serial, 'bench-account', id, ISSUER, der, '', '[]', revokedAt - DAY, revokedAt + 89 * DAY + 2 * DAY, id, revokedAt, REASONS[(start + i) % REASONS.length], revokedAt - DAY);
    }
    const marks = Array.from({ length: count }, () => `(${cols.map(() => '?').join(', ')})`).join(', ');
    await db.transaction((tx) => tx.exec(`INSERT INTO certificates (${cols.join(', ')}) VALUES ${marks}`, rows));
  }
  return serials;
}

/** Assigns every certificate the shard its serial gives with `shards` shards (as issuance would have). */
async function assignShards(db: Database, serials: string[], shards: number): Promise<void> {
  const byShard = new Map<number, string[]>();
  for (const s of serials) {
    const shard = shardForSerial(s, shards);
    const list = byShard.get(shard);
    if (list) list.push(s);
    else byShard.set(shard, [s]);
  }
  await db.transaction(async (tx) => {
    for (const [shard, list] of byShard) {
      for (let i = 0; i < list.length; i += BATCH) {
        const part = list.slice(i, i + BATCH);
        await tx.exec(`UPDATE certificates SET crl_shard = ? WHERE serial IN (${part.map(() => '?').join(', ')})`, [shard, ...part]);
      }
    }
  });
}

interface Build {
  ms: number;
  snapshotMs: number;
  signMs: number;
  storeMs: number;
  bytes: number;
  entries: number;
}

/** One CRL build as a node runs it (upToDateCrl), with its phases timed. */
async function build(db: Database, ca: Awaited<ReturnType<typeof issuer>>, partition: CrlPartition, now: number): Promise<Build> {
  const sql = new SqlCrlStore(db);
  const t: Build = { ms: 0, snapshotMs: 0, signMs: 0, storeMs: 0, bytes: 0, entries: 0 };
  const timed = async <T>(key: 'snapshotMs' | 'signMs' | 'storeMs', work: Promise<T>): Promise<T> => {
    const start = performance.now();
    const out = await work;
    t[key] += performance.now() - start;
    return out;
  };
  const store: CrlStore = {
    snapshot: (i, p, at) => timed('snapshotMs', sql.snapshot(i, p, at)),
    publish: (i, p, crl) => timed('storeMs', sql.publish(i, p, crl)),
    current: (i, p) => sql.current(i, p),
    storedShards: (i) => sql.storedShards(i),
  };
  const url = typeof partition === 'number' ? `http://ca.bench.test/crl/${ISSUER}/${partition}.crl` : undefined;
  const start = performance.now();
  const der = await upToDateCrl({
    store, issuerId: ISSUER, partition, lifetimeMs: 7 * DAY, now: () => now,
    sign: (c) => timed('signMs', (async () => {
      t.entries = c.entries.length;
      const crl = await generateCrl({
        issuerCertPem: ca.certPem, issuerKey: ca.key.privateKey, issuerAlgorithm: ca.key.algorithm, crlNumber: c.number,
        thisUpdate: c.thisUpdate, nextUpdate: c.nextUpdate, entries: c.entries, ...(url === undefined ? {} : { distributionPoint: url }),
      });
      return Buffer.from(crl.der);
    })()),
  });
  t.ms = performance.now() - start;
  t.bytes = der.length;
  return t;
}

const f = (ms: number): string => ms.toFixed(0).padStart(6);
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

function row(label: string, b: Build): string {
  return `| ${label} | ${b.entries} | ${kb(b.bytes)} | ${f(b.ms)} | ${f(b.snapshotMs)} | ${f(b.signMs)} | ${f(b.storeMs)} |`;
}

async function openDatabase(o: Options, dir: string): Promise<{ db: Database; cluster: PgCluster | undefined; label: string }> {
  if (!o.postgres && o.databaseUrl === undefined) return { db: new SqliteDatabase(`${dir}/certainty.db`, { synchronous: 'full' }), cluster: undefined, label: 'SQLite' };
  const cluster = o.postgres ? await startPostgres() : undefined;
  const url = cluster ? await cluster.createDatabase() : (o.databaseUrl as string);
  return { db: new PostgresDatabase(url, { poolSize: 2, connectTimeoutSeconds: 10, statementTimeoutMs: 600_000 }), cluster, label: 'PostgreSQL' };
}

async function main(): Promise<void> {
  const o = options();
  if (!o) {
    console.log(USAGE);
    return;
  }
  const dir = await makeTempDir('bench-crl');
  const { db, cluster, label } = await openDatabase(o, dir);
  try {
    await migrate(db);
    const now = Date.now();
    const ca = await issuer(db, now);
    let start = performance.now();
    const serials = await insertRevoked(db, o.revoked, now);
    console.log(`${label}: inserted ${o.revoked} revoked certificates in ${((performance.now() - start) / 1000).toFixed(1)} s`);

    console.log('\n| CRL | entries | size | build ms | snapshot ms | encode+sign ms | store ms |');
    console.log('|---|---|---|---|---|---|---|');
    console.log(row('complete (ca.crlShards = 1)', await build(db, ca, 'all', now)));
    for (const shards of o.shards) {
      start = performance.now();
      await assignShards(db, serials, shards);
      await db.exec('DELETE FROM crl_shards');
      const assignS = (performance.now() - start) / 1000;
      const builds: Build[] = [];
      for (let s = 0; s < shards; s++) builds.push(await build(db, ca, s, now));
      const sum = (k: keyof Build): number => builds.reduce((a, b) => a + b[k], 0);
      const largest = builds.reduce((a, b) => (b.bytes > a.bytes ? b : a));
      console.log(row(`one of ${shards} shards (largest)`, largest));
      console.log(`| all ${shards} shards (sum; shards assigned in ${assignS.toFixed(1)} s) | ${sum('entries')} | ${kb(sum('bytes'))} | ${f(sum('ms'))} | ${f(sum('snapshotMs'))} | ${f(sum('signMs'))} | ${f(sum('storeMs'))} |`);
    }
  } finally {
    await db.close();
    await cluster?.stop();
    await removeDir(dir);
  }
}

await main();
