// Nodes leaving under load. SIGTERM: the node answers /readyz 503 at once and keeps serving for
// CERTAINTY_DRAIN_DELAY_MS, longer than HAProxy needs to see it (inter 500 ms × fall 2), so no
// request is lost. SIGKILL: only requests in flight on that node may fail, and every order can
// still be finished. A rolling restart of every node loses nothing.
import * as assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { CertaintyServer } from '../support/certainty.ts';
import { createAccounts, describeLoad, retryFailures, runOrders, type CountingTransport, type LoadResult } from './load.ts';
import { RUN, startClusterEnv, type ClusterEnv } from './setup.ts';

const DRAIN_DELAY_MS = 3_000;
const CONCURRENCY = 6;
let env: ClusterEnv;
let seq = 0;

before(async () => {
  env = await startClusterEnv({ env: { CERTAINTY_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), CERTAINTY_LOG_LEVEL: 'warn' } });
}, { timeout: 120_000 });

after(async () => {
  await env?.stop();
}, { timeout: 60_000 });

/** Runs `scenario` while a bounded order load runs through the front; the load stops when it ends. */
async function underLoad(label: string, scenario: () => Promise<void>): Promise<{ result: LoadResult; transport: CountingTransport }> {
  const transport = env.transport({ maxSockets: CONCURRENCY * 2 });
  const clients = await createAccounts(transport, CONCURRENCY);
  let done = false;
  const tag = `${label}${seq++}`;
  const load = runOrders({
    clients, solver: env.responder, concurrency: CONCURRENCY, maxOrders: 3_000, maxSeconds: 90,
    stop: () => done, name: (n) => `${tag}-${n}.${RUN}.drain.test`,
  });
  try {
    await sleep(1_500);
    await scenario();
    await sleep(1_500);
  } finally {
    done = true;
  }
  const result = await load;
  console.log(describeLoad(label, result, transport.stats));
  return { result, transport };
}

function node(i: number): CertaintyServer {
  return env.cluster.nodes[i] as CertaintyServer;
}

test('SIGTERM one node under load: zero failed requests, exit 0', { timeout: 120_000 }, async () => {
  let exitCode: number | null = null;
  const { result, transport } = await underLoad('sigterm', async () => {
    const exit = await node(1).stop('SIGTERM');
    exitCode = exit.code;
  });
  assert.equal(exitCode, 0, await node(1).logTail());
  assert.deepEqual(result.failures.map((f) => `${f.name}: ${f.error}`), [], await env.cluster.haproxy.logTail(20));
  assert.deepEqual(transport.stats.failed, []);
  assert.ok(result.completed > 0);
  await node(1).restart();
  await env.cluster.waitAllReady();
});

test('SIGKILL one node under load: only in-flight requests fail, every order can be finished', { timeout: 180_000 }, async () => {
  let killedAt = 0;
  let detectedAt = 0;
  const { result, transport } = await underLoad('sigkill', async () => {
    killedAt = Date.now();
    await node(2).kill9();
    await env.cluster.haproxy.waitForStates({ [env.cluster.backendName(2)]: 'DOWN' }, 10_000);
    detectedAt = Date.now();
  });
  const failed = transport.stats.failed;
  console.log(`sigkill: HAProxy marked the node DOWN after ${detectedAt - killedAt} ms; failed requests ${failed.length}: ${JSON.stringify(failed)}`);
  // Each worker has at most one request in flight, so at most CONCURRENCY can have been on the dead node.
  assert.ok(failed.length <= CONCURRENCY, `${failed.length} failed requests`);
  for (const f of failed) {
    assert.ok(f.at >= killedAt && f.at <= detectedAt + 2_000, `a request failed outside the kill window: ${JSON.stringify(f)}`);
  }
  assert.ok(result.failures.length <= failed.length, 'no order failed without a failed request');
  // The clients' next attempts: finish every failed order (re-ordering when newOrder itself was lost).
  const retried = await retryFailures(result.failures, env.responder);
  assert.deepEqual(retried.filter((r) => r.error !== undefined), []);
  // Nothing left half-done: no challenge stays `processing` (its job is re-claimed by a live node).
  const sql = env.cluster.sql();
  const stuck = async (): Promise<number> => (await sql`select count(*)::int as n from challenges where status = 'processing'`)[0]?.n as number;
  const deadline = Date.now() + 60_000;
  while ((await stuck()) > 0 && Date.now() < deadline) await sleep(500);
  assert.equal(await stuck(), 0, 'challenges stuck in processing');
  const next = await runOrders({
    clients: await createAccounts(transport, 2), solver: env.responder, concurrency: 2, maxOrders: 4, maxSeconds: 30,
    name: (n) => `after-kill-${n}.${RUN}.drain.test`,
  });
  assert.equal(next.completed, 4, JSON.stringify(next.failures.map((f) => f.error)));
  await node(2).restart();
  await env.cluster.waitAllReady();
});

test('rolling restart of all 3 nodes under load: zero failed requests', { timeout: 180_000 }, async () => {
  const { result, transport } = await underLoad('rolling', async () => {
    for (let i = 0; i < 3; i++) {
      await node(i).restart();
      await env.cluster.waitAllReady();
    }
  });
  assert.deepEqual(result.failures.map((f) => `${f.name}: ${f.error}`), [], await env.cluster.haproxy.logTail(20));
  assert.deepEqual(transport.stats.failed, []);
  assert.ok(result.completed > 0);
});
