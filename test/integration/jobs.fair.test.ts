// Fair claims on every dialect: one fairness key's backlog does not delay
// another key's first job, a claimer runs at most `perKey` jobs of one key, and claims stay
// exclusive under concurrent claimers.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job } from '../../src/jobs/queue.ts';
import type { JobStore } from '../../src/jobs/store.ts';
import { SqlJobStore } from '../../src/store/job-store.ts';
import { migrate } from '../../src/store/migrations.ts';
import { dialects } from '../support/node.ts';
import { openTwo } from '../support/databases.ts';

const keysOf = (jobs: Job[]): Array<string | null> => jobs.map((j) => j.fairKey);

for (const dialect of dialects()) {
  test(`a backlog of one account's validations does not delay another account's first (${dialect})`, { timeout: 90_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const qa = new SqlJobStore(a);
      const qb = new SqlJobStore(b);
      // Strictly increasing run_at (jobs enqueued within one millisecond would tie), all in the past.
      for (let i = 0; i < 40; i++) await qa.enqueue('validate', { i }, { fairKey: 'account-A', delayMs: i - 1000 });
      await qa.enqueue('validate', { first: true }, { fairKey: 'account-B' });

      // Node a is busy with A's oldest jobs (at its per-account share); B's job arrived last.
      const running = await qa.claim('node-a', ['validate'], 16, 60_000, 4);
      assert.deepEqual(keysOf(running), ['account-A', 'account-B', 'account-A', 'account-A', 'account-A'], 'one batch takes B with A’s first jobs, A capped at 4');
      await qb.release(running[1]?.id as string, 'node-a');

      // Any claimer now takes B's first job before the 36 jobs of A's backlog.
      const [next] = await qb.claim('node-b', ['validate'], 1, 60_000, 4);
      assert.equal(next?.fairKey, 'account-B', 'B’s first job comes before A’s backlog');
      const [after] = await qb.claim('node-b', ['validate'], 1, 60_000, 4);
      assert.equal(after?.fairKey, 'account-A', 'then A’s backlog goes on');
      assert.equal(Number(after?.payload.i), 4, 'oldest first within one account');
    } finally {
      await cleanup();
    }
  });

  test(`a claimer runs at most perKey jobs of one account, and claims stay exclusive (${dialect})`, { timeout: 90_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const qa = new SqlJobStore(a);
      const qb = new SqlJobStore(b);
      for (let i = 0; i < 30; i++) await qa.enqueue('validate', { i }, { fairKey: `account-${i % 3}` });
      await qa.enqueue('duty', { unkeyed: true });
      const first = await qa.claim('node-a', ['validate', 'duty'], 16, 60_000, 2);
      const perKey = new Map<string, number>();
      for (const j of first) perKey.set(j.fairKey ?? '(none)', (perKey.get(j.fairKey ?? '(none)') ?? 0) + 1);
      assert.deepEqual([...perKey.entries()].sort(), [['(none)', 1], ['account-0', 2], ['account-1', 2], ['account-2', 2]], 'two per account, plus the unkeyed job');
      assert.deepEqual(await qa.claim('node-a', ['validate'], 16, 60_000, 2), [], 'node a is at its share for every account');
      assert.ok(await qa.complete(first.find((j) => j.fairKey === 'account-1')?.id as string, 'node-a'));
      assert.deepEqual(keysOf(await qa.claim('node-a', ['validate'], 16, 60_000, 2)), ['account-1'], 'a finished job frees one slot of its account');

      const seen = new Map<number, string>();
      const drain = async (q: JobStore, owner: string): Promise<void> => {
        for (let round = 0; round < 40; round++) {
          const jobs = await q.claim(owner, ['validate'], 5, 60_000, 2);
          if (jobs.length === 0 && round > 0) return;
          for (const j of jobs) {
            const i = Number(j.payload.i);
            assert.ok(!seen.has(i), `job ${i} claimed by ${owner} and ${seen.get(i) ?? ''}`);
            seen.set(i, owner);
            assert.equal(await q.complete(j.id, owner), true);
          }
        }
      };
      await Promise.all([drain(qa, 'node-c'), drain(qb, 'node-d')]);
      assert.equal(seen.size, 30 - 7, 'every job not held by node a ran exactly once');
    } finally {
      await cleanup();
    }
  });
}
