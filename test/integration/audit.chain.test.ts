// The audit hash chains on every dialect: two nodes appending at once keep two intact chains, a
// record written in a rolled-back transaction leaves no trace, and every kind of tampering done
// directly in SQL is reported by verifyChains and by `certainty audit verify` at the exact node
// and seq, while untouched chains still verify.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashRecord } from '../../src/audit/chain.ts';
import { AuditLog, type AuditEvent } from '../../src/audit/log.ts';
import { verifyChains, type ChainReport } from '../../src/audit/verify.ts';
import { RECORD_COLS, toRecord, type AuditRow } from '../../src/store/audit-rows.ts';
import { auditChainOn, SqlAuditChainStore, SqlAuditReadStore } from '../../src/store/audit-store.ts';
import type { Database } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrations.ts';
import { PostgresDatabase } from '../../src/store/postgres.ts';
import { SqliteDatabase } from '../../src/store/sqlite.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl, type Dialect } from '../support/node.ts';
import { runUnchecked } from '../support/run.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

/** Two connections to one fresh database, and the environment a `certainty` command needs to reach it. */
async function openPair(dialect: Dialect): Promise<{ a: Database; b: Database; env: Record<string, string>; cleanup: () => Promise<void> }> {
  const dir = await makeTempDir('audit-chain');
  const url = await freshDatabaseUrl(dialect);
  const open = (): Database => (url === undefined
    ? new SqliteDatabase(join(dir, 'certainty.db'))
    : new PostgresDatabase(url, { poolSize: 4, connectTimeoutSeconds: 5, statementTimeoutMs: 10_000 }));
  const a = open();
  const b = open();
  const env: Record<string, string> = { CERTAINTY_DATA_DIR: dir, ...(url === undefined ? {} : { CERTAINTY_DATABASE_URL: url }) };
  return { a, b, env, cleanup: async () => { await a.close(); await b.close(); await removeDir(dir); } };
}

const event = (i: number): AuditEvent => ({
  actor: `account:acct-${i % 3}`, action: i % 2 === 0 ? 'certificate.issued' : 'order.finalized', object: `order:o-${i}`, outcome: 'success',
  details: { n: i, names: [`host-${i}.example.test`], nested: { z: 1, a: [i] } },
});

/** Runs `certainty` from the sources in a child process, so its exit code is real. */
function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `const { run } = await import(${JSON.stringify(join(REPO_ROOT, 'src/cli/index.ts'))}); process.exitCode = await run(['node', 'certainty', ...process.argv.slice(1)]);`;
  return runUnchecked(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { env: { ...env, CERTAINTY_LOG_LEVEL: 'silent' }, timeoutMs: 60_000, cwd: REPO_ROOT });
}

async function row(db: Database, nodeId: string, seq: number): Promise<AuditRow> {
  const rows = await db.query<AuditRow>(`SELECT ${RECORD_COLS} FROM audit_records WHERE node_id = ? AND seq = ?`, [nodeId, seq]);
  assert.ok(rows[0], `record ${nodeId}/${seq} exists`);
  return rows[0];
}

/** Overwrites every column but the key of record (node, seq) with `from`'s. */
async function overwrite(db: Database, nodeId: string, seq: number, from: AuditRow): Promise<void> {
  await db.exec(
    'UPDATE audit_records SET time = ?, actor = ?, action = ?, object = ?, outcome = ?, details = ?, prev_hash = ?, hash = ? WHERE node_id = ? AND seq = ?',
    [from.time, from.actor, from.action, from.object, from.outcome, from.details, from.prev_hash, from.hash, nodeId, seq],
  );
}

function chain(report: { chains: ChainReport[] }, nodeId: string): ChainReport {
  const found = report.chains.find((c) => c.nodeId === nodeId);
  assert.ok(found, `a report for ${nodeId}`);
  return found;
}

const logOn = (db: Database, nodeId: string): AuditLog => new AuditLog({ chain: new SqlAuditChainStore(db), nodeId });
const verify = (db: Database, options: Parameters<typeof verifyChains>[1]): ReturnType<typeof verifyChains> => verifyChains(new SqlAuditReadStore(db), options);

const kinds = (c: ChainReport): string[] => c.problems.map((p) => `${p.kind}@${p.seq}`);

for (const dialect of dialects()) {
  describe(`audit chains (${dialect})`, { timeout: 120_000 }, () => {
    let pair: Awaited<ReturnType<typeof openPair>>;
    before(async () => {
      pair = await openPair(dialect);
      await migrate(pair.a);
    });
    after(async () => pair?.cleanup());

    test('two nodes appending at once keep two intact chains; a rolled-back record leaves no trace', async () => {
      const logA = logOn(pair.a, 'node-a');
      const logB = logOn(pair.b, 'node-b');
      for (let i = 0; i < 10; i += 1) {
        // Interleaved across nodes, and several appends at once on each node.
        await Promise.all([logA.record(undefined, event(i)), logB.record(new SqlAuditChainStore(pair.b), event(i)), logA.record(undefined, event(i + 100)), logB.record(undefined, event(i + 100))]);
      }
      await assert.rejects(pair.a.transaction(async (tx) => {
        await logA.record(auditChainOn(pair.a, tx), event(999));
        throw new Error('the change failed');
      }), /the change failed/);
      await pair.a.transaction((tx) => logA.record(auditChainOn(pair.a, tx), event(1000)));
      const report = await verify(pair.a, { key: undefined });
      assert.equal(report.intact, true, JSON.stringify(report, null, 2));
      assert.deepEqual(report.chains.map((c) => [c.nodeId, c.records, c.headSeq]), [['node-a', 21, 21], ['node-b', 20, 20]]);
      const last = toRecord(await row(pair.a, 'node-a', 21));
      assert.equal(JSON.parse(last.details).n, 1000, 'the rolled-back record took no seq');
      assert.equal(last.details, '{"n":1000,"names":["host-1000.example.test"],"nested":{"a":[1000],"z":1}}', 'details are canonical JSON');
      const first = await cli(pair.env, 'audit', 'verify');
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /node-a {2}21 records {2}head 21 {2}intact/);
      assert.match(first.stdout, /All 2 chains are intact/);
    });

    test('secrets are refused before anything is written', async () => {
      const log = logOn(pair.a, 'node-a');
      await assert.rejects(log.record(undefined, { ...event(1), details: { hmacKey: 'x' } }), /must not carry secrets: remove "details.hmacKey"/);
      await assert.rejects(log.record(undefined, { ...event(1), details: { note: `cty_${'0'.repeat(12)}_abc` } }), /holds an admin token/);
      assert.equal((await verify(pair.a, { nodeId: 'node-a', key: undefined })).chains[0]?.records, 21);
    });

    test('edit, delete, swap, re-hash and truncation are each reported at their node and seq', async () => {
      const nodes = ['edit', 'delete', 'swap', 'adjacent', 'rehash', 'truncate', 'clean'];
      for (const n of nodes) {
        const log = logOn(n === 'clean' ? pair.b : pair.a, `node-${n}`);
        for (let i = 0; i < 10; i += 1) await log.record(undefined, event(i));
      }
      const { a } = pair;
      await a.exec(`UPDATE audit_records SET object = ? WHERE node_id = ? AND seq = ?`, ['order:forged', 'node-edit', 3]);
      await a.exec('DELETE FROM audit_records WHERE node_id = ? AND seq = ?', ['node-delete', 5]);
      const [four, six] = [await row(a, 'node-swap', 4), await row(a, 'node-swap', 6)];
      await overwrite(a, 'node-swap', 4, six);
      await overwrite(a, 'node-swap', 6, four);
      const [two, three] = [await row(a, 'node-adjacent', 2), await row(a, 'node-adjacent', 3)];
      await overwrite(a, 'node-adjacent', 2, three);
      await overwrite(a, 'node-adjacent', 3, two);
      const rehashed = toRecord(await row(a, 'node-rehash', 7));
      const forged = { ...rehashed, actor: 'account:someone-else' };
      await overwrite(a, 'node-rehash', 7, { ...(await row(a, 'node-rehash', 7)), actor: forged.actor, hash: hashRecord(forged) });
      await a.exec('DELETE FROM audit_records WHERE node_id = ? AND seq > ?', ['node-truncate', 7]);

      const report = await verify(a, { key: undefined });
      assert.equal(report.intact, false);
      assert.deepEqual(kinds(chain(report, 'node-edit')), ['edited@3']);
      assert.deepEqual(kinds(chain(report, 'node-delete')), ['missing@5']);
      assert.deepEqual(kinds(chain(report, 'node-swap')), ['moved@4', 'moved@6']);
      assert.match(chain(report, 'node-swap').problems[0]?.message ?? '', /record 4 is intact but was written as record 6/);
      assert.deepEqual(kinds(chain(report, 'node-adjacent')), ['moved@2', 'moved@3']);
      assert.deepEqual(kinds(chain(report, 'node-rehash')), ['relinked@8']);
      assert.match(chain(report, 'node-rehash').problems[0]?.message ?? '', /record 7 was rewritten and re-hashed/);
      assert.deepEqual(kinds(chain(report, 'node-truncate')), ['truncated@8']);
      assert.match(chain(report, 'node-truncate').problems[0]?.message ?? '', /records 8–10 were deleted/);
      for (const n of ['node-a', 'node-b', 'node-clean']) assert.equal(chain(report, n).intact, true, `${n} is untouched`);

      const r = await cli(pair.env, 'audit', 'verify');
      assert.equal(r.code, 1, `exit 1 when a chain is broken\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /node-edit {2}10 records {2}head 10 {2}BROKEN {2}no checkpoint, 10 unsigned since\n {2}seq 3 +edited/);
      assert.match(r.stdout, /node-truncate {2}7 records {2}head 10 {2}BROKEN {2}no checkpoint, 7 unsigned since\n {2}seq 8 +truncated/);
      assert.match(r.stdout, /node-clean {2}10 records {2}head 10 {2}intact/);
      assert.match(r.stdout, /6 of 9 chains are broken/);
      const json = JSON.parse((await cli(pair.env, 'audit', 'verify', '--json')).stdout);
      assert.deepEqual(json.chains.filter((c: ChainReport) => !c.intact).map((c: ChainReport) => c.nodeId).sort(),
        ['node-adjacent', 'node-delete', 'node-edit', 'node-rehash', 'node-swap', 'node-truncate']);
      const one = await cli(pair.env, 'audit', 'verify', '--node', 'node-clean');
      assert.equal(one.code, 0, one.stdout);
    });

    test('audit list filters by node, actor, action and time', async () => {
      const list = async (...args: string[]): Promise<Array<{ nodeId: string; seq: number; actor: string; action: string }>> => {
        const r = await cli(pair.env, 'audit', 'list', '--json', ...args);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout);
      };
      const mine = await list('--node', 'node-clean', '--actor', 'account:acct-0', '--action', 'certificate.issued');
      assert.deepEqual(mine.map((x) => x.seq).sort((x, y) => x - y), [1, 7]);
      assert.equal((await list('--node', 'node-a', '--limit', '5')).length, 5);
      assert.equal((await list('--since', '2999-01-01')).length, 0);
      assert.ok((await list('--until', '2999-01-01T00:00:00Z', '--limit', '1000')).length > 50);
      const bad = await cli(pair.env, 'audit', 'list', '--action', 'nope');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--action must be one of account.created/);
      const human = await cli(pair.env, 'audit', 'list', '--node', 'node-b', '--limit', '1');
      assert.match(human.stdout, /^TIME +NODE +SEQ +ACTOR +ACTION +OBJECT +OUTCOME\n\S+Z +node-b +20 /);
    });
  });
}
