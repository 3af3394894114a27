// Nodes leaving under load. SIGTERM: the node answers /readyz 404 at once and keeps serving for its
// drain delay, longer than HAProxy needs to see it (inter 500 ms × fall 2), so no request should be
// lost. The nodes are not given a drain delay: on PostgreSQL the default must cover HAProxy's
// checks by itself (a user who forgets the setting must not lose requests on a rolling restart). SIGKILL: only requests in flight on that node may fail, and every order
// can still be finished. A rolling restart of every node loses nothing, both by SIGTERM alone and
// by the operator procedure (drain in HAProxy's runtime API, then SIGTERM).
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { CertaintyServer } from '../support/certainty.ts';
import { waitFor } from '../support/wait.ts';
import { createAccounts, describeLoad, retryFailures, runOrders, type CountingTransport, type LoadResult } from '../../src/lab/load.ts';
import { RUN, startClusterEnv, type ClusterEnv } from './setup.ts';

const CONCURRENCY = 6;
let env: ClusterEnv;
let seq = 0;

before(async () => {
  env = await startClusterEnv({ env: { CERTAINTY_LOG_LEVEL: 'warn' } });
}, { timeout: 120_000 });

after(async () => {
  await env?.stop();
}, { timeout: 60_000 });

interface LoadRun {
  result: LoadResult;
  transport: CountingTransport;
  /** What HAProxy logged while the load ran. */
  proxyLog: string;
}

/** Runs `scenario` while a bounded order load runs through the front; the load stops when it ends. */
async function underLoad(label: string, scenario: () => Promise<void>): Promise<LoadRun> {
  const logStart = (await readFile(env.cluster.haproxy.logPath)).length;
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
  const proxyLog = (await readFile(env.cluster.haproxy.logPath)).subarray(logStart).toString('utf8');
  return { result, transport, proxyLog };
}

function node(i: number): CertaintyServer {
  return env.cluster.nodes[i] as CertaintyServer;
}

interface Drain {
  /** When SIGTERM was sent. */
  at: number;
  code: number | null;
  /** What /readyz answered while the node drained. */
  drainingStatus: number;
}

/** SIGTERM to node `i`; returns its exit code and what its /readyz answered while it drained. */
async function sigterm(i: number): Promise<Drain> {
  const at = Date.now();
  const stopping = node(i).stop('SIGTERM');
  let drainingStatus = 200;
  for (let n = 0; n < 20 && drainingStatus === 200; n++) {
    await sleep(100);
    drainingStatus = await env.cluster.readyz(i);
  }
  return { at, code: (await stopping).code, drainingStatus };
}

/** Zero failed requests and exit 0: a draining node answers /readyz 404, a soft stop in HAProxy that cuts nothing. */
function assertNothingLost(label: string, drains: readonly Drain[], load: LoadRun): void {
  const { result, transport, proxyLog } = load;
  const lost = [...result.failures.map((f) => `${f.name}: ${f.error}`), ...transport.stats.failed.map((f) => `${f.method} ${f.path}: ${f.what}`)];
  for (const d of drains) {
    assert.equal(d.code, 0, `${label}: a drained node exits 0`);
    assert.equal(d.drainingStatus, 404, `${label}: a draining node answers /readyz 404`);
  }
  assert.deepEqual(lost, [], `${label}: ${proxyLog}`);
  assert.ok(result.completed > 0);
}

test('SIGTERM one node under load with the default drain delay (unset, PostgreSQL): zero failed requests, exit 0', { timeout: 120_000 }, async () => {
  assert.equal(node(1).env['CERTAINTY_DRAIN_DELAY_MS'], undefined, 'the nodes run with the default drain delay');
  assert.match(await node(1).logTail(200), /Drain delay: +2000 ms \(default on PostgreSQL/, 'the node says which drain delay it chose and why');
  const drains: Drain[] = [];
  const load = await underLoad('sigterm', async () => {
    drains.push(await sigterm(1));
  });
  await node(1).restart();
  await env.cluster.waitAllReady();
  assertNothingLost('sigterm', drains, load);
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

test('rolling restart (SIGTERM each node in turn) under load: zero failed requests', { timeout: 180_000 }, async () => {
  const drains: Drain[] = [];
  const load = await underLoad('rolling', async () => {
    for (let i = 0; i < 3; i++) {
      drains.push(await sigterm(i));
      await node(i).restart();
      await env.cluster.waitAllReady();
    }
  });
  assertNothingLost('rolling', drains, load);
});

test('rolling restart drained in HAProxy first (runtime API), under load: zero failed requests', { timeout: 180_000 }, async () => {
  const proxy = env.cluster.haproxy;
  const { result, transport, proxyLog } = await underLoad('rolling-lb-drain', async () => {
    for (let i = 0; i < 3; i++) {
      const name = env.cluster.backendName(i);
      await proxy.setServerState(name, 'drain');
      await waitFor(async () => ((await proxy.serverSessions(name)) === 0 ? true : undefined), { what: `${name} without sessions`, timeoutMs: 10_000 });
      await node(i).restart();
      await proxy.setServerState(name, 'ready');
      await env.cluster.waitAllReady();
    }
  });
  assert.deepEqual(result.failures.map((f) => `${f.name}: ${f.error}`), [], proxyLog);
  assert.deepEqual(transport.stats.failed, []);
  assert.ok(result.completed > 0);
});
