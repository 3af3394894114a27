// Leases, fencing tokens, the scheduler and node identity against a real database, every dialect.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { renderClusterStatus } from '../../src/cli/cluster-commands.ts';
import { LeaseKeeper } from '../../src/cluster/lease-keeper.ts';
import { FencedError } from '../../src/cluster/leases.ts';
import { NodeCloneError, NodeRegistry, nodeInfo } from '../../src/cluster/nodes.ts';
import { Scheduler } from '../../src/cluster/scheduler.ts';
import { clusterStatus } from '../../src/cluster/status.ts';
import { SqlLeaseStore, SqlNodeStore, SqlScheduleStore } from '../../src/store/cluster-store.ts';
import { SqlJobStore } from '../../src/store/job-store.ts';
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
      const la = new SqlLeaseStore(a);
      const lb = new SqlLeaseStore(b);
      const first = await la.acquire('duty', 'node-a', 400);
      assert.equal(first?.token, 1);
      assert.equal(await lb.acquire('duty', 'node-b', 400), undefined, 'a live lease is not taken');
      assert.equal(await la.renew(first, 'node-a', 400), true);
      await sleep(600);
      const second = await lb.acquire('duty', 'node-b', 10_000);
      assert.ok(second && second.token > first.token, 'a takeover takes a strictly higher token');
      assert.equal(await la.renew(first, 'node-a', 400), false, 'the ex-holder cannot renew');
      assert.equal(await new SqlScheduleStore(a).transaction((s) => s.fence(first, 'node-a')), false, 'nor write under the lease');
      assert.equal(await new SqlScheduleStore(b).transaction((s) => s.fence(second, 'node-b')), true, 'the new holder can');
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
      const la = new SqlLeaseStore(a);
      const lb = new SqlLeaseStore(b);
      const keeperA = new LeaseKeeper({ store: la, name: 'scheduler', holder: 'node-a', ttlMs: 3000, fencing, log: silent });
      const duties = [{ name: 'tidy', periodMs: 60_000 }];
      const schedA = new Scheduler({ store: new SqlScheduleStore(a), keeper: keeperA, holder: 'node-a', duties, log: silent });
      const schedB = new Scheduler({ store: new SqlScheduleStore(b), keeper: keeperA, holder: 'node-b', duties, log: silent });
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
      const ka = new LeaseKeeper({ store: new SqlLeaseStore(a), name: 'scheduler', holder: 'node-a', ttlMs: 3000, fencing: fa, log: silent });
      ka.start();
      for (let i = 0; i < 50 && !ka.current(); i++) await sleep(50);
      assert.ok(ka.current(), 'node-a holds the lease');
      // Node-a "pauses": its lease expires in the database while it renews nothing.
      await ka.stop();
      await a.exec(`UPDATE leases SET holder = 'node-a', expires_at = 0`);
      const fb = { rejected: 0 };
      const kb = new LeaseKeeper({ store: new SqlLeaseStore(b), name: 'scheduler', holder: 'node-b', ttlMs: 3000, fencing: fb, log: silent });
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
      const live = new NodeRegistry({ store: new SqlNodeStore(a), nodeId: 'node-x', version: '1', address: '127.0.0.1:1' });
      await live.register();
      const beating = setInterval(() => void live.heartbeat('up'), 200);
      const clone = new NodeRegistry({ store: new SqlNodeStore(b), nodeId: 'node-x', version: '1', address: '127.0.0.1:2' });
      try {
        await assert.rejects(clone.register(), (e: Error) => e instanceof NodeCloneError && /copied from a running node/.test(e.message));
      } finally {
        clearInterval(beating);
      }
      // A crashed predecessor (recent heartbeat, but no longer beating) is taken over.
      await clone.register();
      assert.equal(await live.heartbeat('up'), false, 'the old instance learns it lost its identity');
      const nodes = (await new SqlNodeStore(b).list()).map(nodeInfo);
      assert.equal(nodes[0]?.status, 'up');
    } finally {
      await cleanup();
    }
  });

  test(`cluster status shows a released lease as free, with no negative or raw-seconds figure (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const leases = new SqlLeaseStore(a);
      await new NodeRegistry({ store: new SqlNodeStore(a), nodeId: 'node-a', version: '1', address: '127.0.0.1:1' }).register();
      const held = await leases.acquire('scheduler', 'node-a', 10_000);
      assert.ok(held);
      await leases.release(held, 'node-a');
      await leases.acquire('audit', 'node-a', 10_000);
      const status = await clusterStatus({ nodes: new SqlNodeStore(a), leases, jobs: new SqlJobStore(a) });
      assert.deepEqual(status.leases.map((l) => [l.name, l.holder, l.expiresInMs === null]), [['audit', 'node-a', false], ['scheduler', null, true]]);
      assert.deepEqual(status.nodes.map((n) => [n.id, n.leases]), [['node-a', ['audit']]]);
      const text = renderClusterStatus(status);
      assert.match(text, /^scheduler\s+-\s+1\s+-$/m, text);
      assert.doesNotMatch(text, /-\d|\d+\.\d+ s|\d{3,} s/, text);
    } finally {
      await cleanup();
    }
  });
}
