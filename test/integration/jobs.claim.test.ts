// The job queue on every dialect: concurrent claimers never take the same job, lapsed claims are
// taken over, retries back off, the last failure is kept, idempotency keys dedupe.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobFailure } from '../../src/jobs/queue.ts';
import type { JobStore } from '../../src/jobs/store.ts';
import { SqlJobStore } from '../../src/store/job-store.ts';
import { migrate } from '../../src/store/migrations.ts';
import { dialects } from '../support/node.ts';
import { openTwo } from '../support/databases.ts';

for (const dialect of dialects()) {
  test(`job claims are exclusive, lapse, retry and fail (${dialect})`, { timeout: 90_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const qa = new SqlJobStore(a);
      const qb = new SqlJobStore(b);
      for (let i = 0; i < 60; i++) await qa.enqueue('work', { i }, { idempotencyKey: `k${i}` });
      await qa.enqueue('work', { i: 0 }, { idempotencyKey: 'k0' });
      const seen = new Map<number, string>();
      const drain = async (q: JobStore, owner: string): Promise<void> => {
        for (let round = 0; round < 50; round++) {
          const jobs = await q.claim(owner, ['work'], 7, 60_000);
          if (jobs.length === 0) return;
          for (const j of jobs) {
            const i = Number(j.payload.i);
            assert.ok(!seen.has(i), `job ${i} claimed by ${owner} and ${seen.get(i) ?? ''}`);
            seen.set(i, owner);
            assert.equal(await q.complete(j.id, owner), true);
          }
        }
      };
      await Promise.all([drain(qa, 'node-a'), drain(qb, 'node-b')]);
      assert.equal(seen.size, 60, 'every job ran exactly once; the duplicate key was ignored');

      await qa.enqueue('slow', {}, { maxAttempts: 2 });
      const [first] = await qa.claim('node-a', ['slow'], 1, 200);
      assert.ok(first);
      assert.deepEqual(await qb.claim('node-b', ['slow'], 1, 200), [], 'a live claim is not taken');
      await new Promise((r) => setTimeout(r, 400));
      const [taken] = await qb.claim('node-b', ['slow'], 1, 60_000);
      assert.equal(taken?.id, first.id, 'a lapsed claim is taken over');
      assert.equal(await qa.heartbeat(first.id, 'node-a', 1000), false, 'the old owner lost its claim');
      assert.equal(await qa.complete(first.id, 'node-a'), false, 'and cannot complete the job');
      await qb.fail(taken.id, 'node-b', jobFailure(taken, 'no luck'));
      const rows = await a.query<{ status: string; last_error: string; attempts: number }>(`SELECT status, last_error, attempts FROM jobs WHERE id = ?`, [first.id]);
      assert.deepEqual({ ...rows[0], attempts: Number(rows[0]?.attempts) }, { status: 'failed', last_error: 'no luck', attempts: 2 });

      await qa.enqueue('retry', {}, { maxAttempts: 3 });
      const [r1] = await qa.claim('node-a', ['retry'], 1, 60_000);
      assert.ok(r1);
      await qa.fail(r1.id, 'node-a', jobFailure(r1, 'transient'));
      assert.deepEqual(await qa.claim('node-a', ['retry'], 1, 60_000), [], 'a retry waits for its backoff');
      const depth = await qa.depth();
      assert.equal(depth.queued, 1);
      assert.equal(depth.failed, 1);
    } finally {
      await cleanup();
    }
  });
}
