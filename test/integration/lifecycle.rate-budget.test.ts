// The per-issuer rate budget (src/lifecycle/rate-budget.ts, takeOrderSlot in
// src/store/lifecycle-store.ts): two connections racing for slots never take more than the budget
// and learn when the next slot comes, on both dialects; and two nodes on one PostgreSQL ordering
// from a real upstream (Pebble) place exactly the budget's orders, the rest waiting (not failing)
// with a status that says so.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SqlLifecycleStore } from '../../src/store/lifecycle-store.ts';
import { migrate } from '../../src/store/migrations.ts';
import { testCli } from '../support/cli.ts';
import { openTwo } from '../support/databases.ts';
import { startTestDns, type TestDns } from '../support/dns.ts';
import { freePort } from '../support/free-port.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { startPebble, type PebbleServer } from '../support/pebble.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

for (const dialect of dialects()) {
  test(`two connections racing for an issuer's order slots take exactly the budget (${dialect})`, { timeout: 90_000 }, async () => {
    const { a, b, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const stores = [new SqlLifecycleStore(a), new SqlLifecycleStore(b)];
      const hour = { orders: 5, perMs: 3_600_000 };
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (stores[i % 2] as SqlLifecycleStore).takeOrderSlot('pebble', hour)));
      assert.equal(results.filter((r) => r.taken).length, 5, 'never more slots than the budget');
      for (const r of results) if (!r.taken) assert.ok(r.waitMs > 0 && r.waitMs <= 720_000, `next slot within one refill step (${r.waitMs} ms)`);
      // Another issuer has a budget of its own.
      assert.equal((await stores[1]?.takeOrderSlot('other', hour))?.taken, true);

      // Two slots every 2 s: both at once, then one back after a step (1 s).
      const fast = { orders: 2, perMs: 2000 };
      assert.equal((await stores[0]?.takeOrderSlot('fast', fast))?.taken, true);
      assert.equal((await stores[1]?.takeOrderSlot('fast', fast))?.taken, true);
      const empty = await stores[0]?.takeOrderSlot('fast', fast);
      assert.equal(empty?.taken, false);
      const waitMs = empty && !empty.taken ? empty.waitMs : 0;
      assert.ok(waitMs > 0 && waitMs <= 1000, `wait ${waitMs} ms`);
      await new Promise((r) => setTimeout(r, waitMs + 100));
      assert.equal((await stores[1]?.takeOrderSlot('fast', fast))?.taken, true, 'a slot comes back after one step');
      assert.equal((await stores[0]?.takeOrderSlot('fast', fast))?.taken, false);
    } finally {
      await cleanup();
    }
  });
}

if (dialects().includes('postgres')) {
  describe('two nodes on one PostgreSQL share the rate budget of their upstream', { timeout: 240_000 }, () => {
    let dns: TestDns;
    let nodes: TestNode[] = [];
    let pebble: PebbleServer;
    let env: Record<string, string>;

    const { cliOk } = testCli(() => env);

    before(async () => {
      dns = await startTestDns();
      const databaseUrl = await freshDatabaseUrl('postgres');
      const port = await freePort();
      const set = { 'lifecycle.checkPeriodMs': '1000', 'lifecycle.upstreamTimeoutMs': '5000', 'lifecycle.orderTimeoutMs': '30000' };
      // http-01 comes over plain HTTP to the first node; the token is in the database, so it answers for both.
      const first = await startNode({ databaseUrl, set: { ...set, listen: `127.0.0.1:${port}`, 'tls.enabled': 'false' } });
      nodes = [first, await startNode({ databaseUrl, set: { ...set, 'kek.file': join(first.dataDir, 'kek.key') } })];
      pebble = await startPebble({ dnsAddress: dns.dnsAddress, http01Port: port, tlsAlpn01Port: await freePort() });
      env = { CERTAINTY_DATA_DIR: first.dataDir, CERTAINTY_DATABASE_URL: databaseUrl as string };
    });
    after(async () => {
      for (const n of nodes) await n.stop();
      await pebble?.stop();
      await dns?.stop();
    });

    test('three orders of a 3/1h budget are placed, the other three wait for the next slot without failing', async () => {
      await cliOk('issuer', 'add', 'pebble', '--directory', pebble.directoryUrl, '--trust', pebble.tlsCaPemPath, '--rate-limit', '3/1h');
      assert.match(await cliOk('issuer', 'show', 'pebble'), /rate limit\s+3 orders per 1h/);
      const names = Array.from({ length: 6 }, (_, i) => `web${i}`);
      for (const n of names) await cliOk('managed', 'add', n, '--issuer', 'pebble', '--name', `${n}.budget.test`);
      const settled = await waitFor(async () => {
        const list = JSON.parse(await cliOk('managed', 'list', '--json')) as Json[];
        const done = list.filter((m) => m.currentRevision >= 1 || m.renewalRule === 'rate-budget');
        return done.length === names.length ? list : undefined;
      }, { what: 'every certificate issued or waiting', timeoutMs: 90_000, intervalMs: 1000 });
      const issued = settled.filter((m: Json) => m.currentRevision >= 1);
      const waiting = settled.filter((m: Json) => m.currentRevision === 0);
      assert.equal(issued.length, 3, 'exactly the budget was ordered');
      for (const m of waiting) {
        assert.equal(m.failures, 0, `${m.name} is waiting, not failing`);
        assert.match(m.status, /^waiting for the issuer's rate budget: next slot in (\d+ min|1 h)/, m.status);
      }
    });
  });
}
