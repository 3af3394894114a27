// The cluster facts a scrape reads from the database (src/store/metrics-store.ts) on every dialect:
// the queue by kind and status with the oldest runnable job's age, every stored CRL (complete and
// shards), the used-nonce ledger, and how far each audit sink is behind.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqlJobStore } from '../../src/store/job-store.ts';
import { SqlClusterFactsStore } from '../../src/store/metrics-store.ts';
import { migrate } from '../../src/store/migrations.ts';
import { timedDatabase } from '../../src/store/timed-database.ts';
import { dialects } from '../support/node.ts';
import { openTwo } from '../support/databases.ts';

for (const dialect of dialects()) {
  test(`cluster facts read from the database (${dialect})`, { timeout: 90_000 }, async () => {
    const { a, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const empty = await new SqlClusterFactsStore(a).read();
      assert.deepEqual(empty, { jobs: [], oldestQueued: [], crls: [], managed: [], probes: [], usedNonces: 0, auditLag: [] });

      const jobs = new SqlJobStore(a);
      await jobs.enqueue('crl', {});
      await jobs.enqueue('crl', {});
      await jobs.enqueue('crl', {}, { delayMs: 3_600_000 });
      await jobs.enqueue('validate-challenge', {}, { claimFor: { owner: 'n1', claimMs: 60_000 } });
      await a.exec('UPDATE jobs SET run_at = run_at - 30000 WHERE kind = ? AND run_at < ?', ['crl', Date.now() + 60_000]);
      const now = Date.now();
      await a.exec('INSERT INTO crls (issuer_id, number, der, this_update, next_update, generation) VALUES (?, 1, ?, ?, ?, 0)', ['iss1', Buffer.from([0x30, 0]), now - 1000, now + 86_400_000]);
      await a.exec('INSERT INTO crl_shards (issuer_id, shard, number, der, this_update, next_update, generation) VALUES (?, 3, 2, ?, ?, ?, 0)', ['iss1', Buffer.from([0x30, 0]), now, now + 3_600_000]);
      await a.exec('INSERT INTO used_nonces (nonce, expires_at) VALUES (?, ?), (?, ?)', ['n-a', now + 60_000, 'n-b', now + 60_000]);
      // Node n1 wrote records 1..5; the syslog sink has 2 of them, the webhook all.
      for (let seq = 1; seq <= 5; seq++) {
        await a.exec(
          'INSERT INTO audit_records (node_id, seq, time, actor, action, object, outcome, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          ['n1', seq, now - 60_000 + seq * 1000, 'test', 'order.finalized', 'o', 'success', '{}', `h${seq - 1}`, `h${seq}`],
        );
      }
      await a.exec('INSERT INTO audit_heads (node_id, seq, hash, updated_at) VALUES (?, 5, ?, ?)', ['n1', 'h5', now]);
      await a.exec('INSERT INTO audit_cursors (sink, node_id, seq, attempts, next_attempt_at) VALUES (?, ?, 2, 0, 0), (?, ?, 5, 0, 0)', ['syslog', 'n1', 'webhook', 'n1']);

      // Through the timed wrapper the server uses: it must change nothing the store sees.
      const timings: string[] = [];
      const facts = await new SqlClusterFactsStore(timedDatabase(a, { statementFinished: (op) => timings.push(op) })).read();
      assert.ok(timings.length >= 6 && timings.every((op) => op === 'query'));
      const sorted = facts.jobs.sort((x, y) => `${x.kind}${x.status}`.localeCompare(`${y.kind}${y.status}`));
      assert.deepEqual(sorted, [{ kind: 'crl', status: 'queued', count: 3 }, { kind: 'validate-challenge', status: 'running', count: 1 }]);
      assert.equal(facts.oldestQueued.length, 1, 'only runnable queued jobs age');
      assert.equal(facts.oldestQueued[0]?.kind, 'crl');
      assert.ok(Math.abs((facts.oldestQueued[0]?.ageSeconds ?? 0) - 30) < 10, `age ${facts.oldestQueued[0]?.ageSeconds}`);
      assert.deepEqual(facts.crls.sort((x, y) => x.shard.localeCompare(y.shard)), [
        { issuerId: 'iss1', shard: '3', thisUpdate: now, nextUpdate: now + 3_600_000, bytes: 2 },
        { issuerId: 'iss1', shard: 'all', thisUpdate: now - 1000, nextUpdate: now + 86_400_000, bytes: 2 },
      ]);
      assert.equal(facts.usedNonces, 2);
      const lag = Object.fromEntries(facts.auditLag.map((l) => [l.sink, l]));
      assert.equal(lag['syslog']?.records, 3);
      assert.ok(Math.abs((lag['syslog']?.oldestSeconds ?? 0) - 57) < 10, `oldest ${lag['syslog']?.oldestSeconds}`);
      assert.deepEqual(lag['webhook'], { sink: 'webhook', records: 0, oldestSeconds: 0 });
    } finally {
      await cleanup();
    }
  });
}
