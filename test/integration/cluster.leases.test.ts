// Leases, fencing tokens, the scheduler and node identity against a real database, every dialect.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { LeaseKeeper } from '../../src/cluster/lease-keeper.ts';
import { FencedError, LeaseStore } from '../../src/cluster/leases.ts';
import { NodeCloneError, NodeRegistry } from '../../src/cluster/nodes.ts';
import { Scheduler } from '../../src/cluster/scheduler.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openTwo } from '../support/databases.ts';
import { dialects } from '../support/node.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const silent = pino({ level: 'silent' });

for (const dialect of dialects()) {
  test(`fencing tokens: a stale holder can neither renew nor write (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const la = new LeaseStore(a);
      const lb = new LeaseStore(b);
      const first = await la.acquire('duty', 'node-a', 400);
      assert.equal(first?.token, 1);
      assert.equal(await lb.acquire('duty', 'node-b', 400), undefined, 'a live lease is not taken');
      assert.equal(await la.renew(first, 'node-a', 400), true);
      await sleep(600);
      const second = await lb.acquire('duty', 'node-b', 10_000);
      assert.ok(second && second.token > first.token, 'a takeover takes a strictly higher token');
      assert.equal(await la.renew(first, 'node-a', 400), false, 'the ex-holder cannot renew');
      await assert.rejects(a.transaction(async (tx) => {
        await la.fence(tx, first, 'node-a');
        await tx.exec(`INSERT INTO settings (key, value) VALUES ('written-by', 'node-a')`);
      }), FencedError);
      await b.transaction(async (tx) => {
        await lb.fence(tx, second, 'node-b');
        await tx.exec(`INSERT INTO settings (key, value) VALUES ('written-by', 'node-b')`);
      });
      assert.deepEqual(await a.query(`SELECT value FROM settings WHERE key = 'written-by'`), [{ value: 'node-b' }]);
      await lb.release(second, 'node-b');
      const third = await la.acquire('duty', 'node-a', 400);
      assert.ok(third && third.token > second.token, 'a released lease is free at once, with a higher token');
    } finally {
      await cleanup();
    }
  });

  test(`the scheduler enqueues each period once, and not at all without the lease (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const fencing = { rejected: 0 };
      const la = new LeaseStore(a);
      const lb = new LeaseStore(b);
      const keeperA = new LeaseKeeper(la, { name: 'scheduler', holder: 'node-a', ttlMs: 3000 }, fencing, silent);
      const duties = [{ name: 'tidy', periodMs: 60_000 }];
      const schedA = new Scheduler(a, la, keeperA, new JobQueue(a), 'node-a', duties, silent);
      const schedB = new Scheduler(b, lb, keeperA, new JobQueue(b), 'node-b', duties, silent);
      await schedA.start();
      await schedB.start();
      schedA.stop();
      schedB.stop();
      const leaseA = await la.acquire('scheduler', 'node-a', 3000);
      assert.ok(leaseA);
      assert.deepEqual(await schedA.runDue(leaseA), ['tidy']);
      assert.deepEqual(await schedA.runDue(leaseA), [], 'not due again within its period');
      await a.exec(`UPDATE schedules SET next_run_at = 0`);
      await a.exec(`UPDATE leases SET expires_at = 0`);
      const leaseB = await lb.acquire('scheduler', 'node-b', 3000);
      assert.ok(leaseB);
      await assert.rejects(schedA.runDue(leaseA), FencedError, 'the ex-holder is fenced off');
      assert.deepEqual(await schedB.runDue(leaseB), ['tidy']);
      const jobs = await a.query<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE kind = 'duty'`);
      assert.equal(Number(jobs[0]?.n), 2, 'one job per period, none from the fenced-off node');
    } finally {
      await cleanup();
    }
  });

  test(`a lease keeper takes over within the TTL and counts its refused renewal (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const fa = { rejected: 0 };
      const ka = new LeaseKeeper(new LeaseStore(a), { name: 'scheduler', holder: 'node-a', ttlMs: 3000 }, fa, silent);
      ka.start();
      for (let i = 0; i < 50 && !ka.current(); i++) await sleep(50);
      assert.ok(ka.current(), 'node-a holds the lease');
      // Node-a "pauses": its lease expires in the database while it renews nothing.
      await ka.stop();
      await a.exec(`UPDATE leases SET holder = 'node-a', expires_at = 0`);
      const fb = { rejected: 0 };
      const kb = new LeaseKeeper(new LeaseStore(b), { name: 'scheduler', holder: 'node-b', ttlMs: 3000 }, fb, silent);
      kb.start();
      for (let i = 0; i < 80 && !kb.current(); i++) await sleep(50);
      assert.ok(kb.current(), 'node-b took over');
      await kb.stop();
    } finally {
      await cleanup();
    }
  });

  test(`a data directory copied from a live node is refused (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const live = new NodeRegistry(a, 'node-x', '1', '127.0.0.1:1');
      await live.register();
      const beating = setInterval(() => void live.heartbeat('up'), 200);
      const clone = new NodeRegistry(b, 'node-x', '1', '127.0.0.1:2');
      try {
        await assert.rejects(clone.register(), (e: Error) => e instanceof NodeCloneError && /copied from a running node/.test(e.message));
      } finally {
        clearInterval(beating);
      }
      // A crashed predecessor (recent heartbeat, but no longer beating) is taken over.
      await clone.register();
      assert.equal(await live.heartbeat('up'), false, 'the old instance learns it lost its identity');
      const nodes = await clone.list();
      assert.equal(nodes[0]?.status, 'up');
    } finally {
      await cleanup();
    }
  });
}
