// Debian's real Prometheus scrapes a three-node cluster with a machine token, as docs/metrics.md
// tells operators to: every node is up and exports its own request counters, and a cluster fact
// read from the database comes from exactly one node. promtool lints the exposition.
import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpRequest } from '../../src/http-client.ts';
import { createAccounts, runOrders } from '../../src/lab/load.ts';
import { startPrometheus, type Prometheus, type Sample } from '../support/prometheus.ts';
import { runUnchecked } from '../support/run.ts';
import { waitFor } from '../support/wait.ts';
import { RUN, startClusterEnv, type ClusterEnv } from './setup.ts';

let env: ClusterEnv;
let prometheus: Prometheus;
let token: string;

before(async () => {
  env = await startClusterEnv();
  // As docs/metrics.md has the operator do it: a machine token, its secret taken from --json.
  const created = await (env.cluster.nodes[0] as (typeof env.cluster.nodes)[number]).cli(['token', 'create', 'prometheus', '--role', 'machine', '--ttl', '1h', '--json']);
  token = (JSON.parse(created) as { token: string }).token;
  // Each node answers some ACME requests of its own, so each has request counters.
  for (const node of env.cluster.nodes) {
    const res = await httpRequest(`${node.baseUrl}/directory`, { ca: env.cluster.rootPem });
    assert.equal(res.status, 200);
  }
  const root = new URL('../..', import.meta.url).pathname;
  prometheus = await startPrometheus({
    targets: env.cluster.nodes.map((n) => new URL(n.baseUrl).host), token, caPem: env.cluster.rootPem, ruleFiles: [`${root}docs/alerts.yml`],
  });
}, { timeout: 180_000 });

after(async () => {
  await prometheus?.stop();
  await env?.stop();
}, { timeout: 60_000 });

async function until(expr: string, ok: (s: Sample[]) => boolean, what: string): Promise<Sample[]> {
  let last: Sample[] = [];
  try {
    return await waitFor(async () => {
      last = await prometheus.query(expr);
      return ok(last) ? last : undefined;
    }, { what, timeoutMs: 30_000, intervalMs: 500 });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer to ${expr}: ${JSON.stringify(last)}\n${await prometheus.logTail(20)}`, { cause: err });
  }
}

test('every node is scraped with the machine token', async () => {
  const up = await until('up{job="certainty"}', (s) => s.length === 3 && s.every((x) => x.value === 1), 'three targets up');
  assert.deepEqual(up.map((s) => s.metric.instance).sort(), env.cluster.nodes.map((n) => new URL(n.baseUrl).host).sort());
});

test('each instance exports its own ACME request counters', async () => {
  const byInstance = await until('sum by (instance) (certainty_acme_requests_total{route="directory", status_class="2xx"})', (s) => s.length === 3, 'request counters of 3 instances');
  for (const s of byInstance) assert.ok(s.value >= 1, `${s.metric.instance}: ${s.value}`);
});

test('a cluster fact comes from exactly one node, the scheduler lease holder', async () => {
  const ledger = await until('certainty_acme_nonce_ledger_rows', (s) => s.length === 1, 'the nonce ledger size from one node');
  const holder = await until('certainty_lease_held{lease="scheduler"} == 1', (s) => s.length === 1, 'one scheduler lease holder');
  assert.equal(ledger[0]?.metric.instance, holder[0]?.metric.instance);
  const exporters = await prometheus.query('sum(certainty_cluster_facts_exporter)');
  assert.equal(exporters[0]?.value, 1);
  const writable = await prometheus.query('min(certainty_database_writable)');
  assert.equal(writable[0]?.value, 1);
});

test('orders, validations, signatures, jobs and database statements are counted where they happen', { timeout: 120_000 }, async () => {
  const transport = env.transport();
  const done = await runOrders({
    clients: await createAccounts(transport, 2), solver: env.responder, concurrency: 2, maxOrders: 3, maxSeconds: 60,
    name: (n) => `m${n}.${RUN}.metrics.test`,
  });
  assert.equal(done.completed, 3, JSON.stringify(done.failures.map((f) => f.error)));
  const sum = async (expr: string, atLeast: number): Promise<void> => {
    await until(`sum(${expr})`, (s) => (s[0]?.value ?? 0) >= atLeast, `${expr} >= ${atLeast}`);
  };
  await sum('certainty_acme_orders_total{outcome="created"}', 3);
  await sum('certainty_acme_orders_total{outcome="valid"}', 3);
  await sum('certainty_ca_signatures_total{purpose="leaf"}', 3);
  await sum('certainty_acme_validations_total{type="http-01", outcome="valid"}', 3);
  await sum('certainty_acme_validation_duration_seconds_count{type="http-01"}', 3);
  await sum('certainty_jobs_finished_total{kind="validate-challenge", outcome="completed"}', 3);
  await sum('certainty_database_statement_duration_seconds_count{op="transaction"}', 3);
});

test('the shipped alert rules load, and none fires on a healthy cluster', async () => {
  const rules = await httpRequest(`${prometheus.url}/api/v1/rules`);
  assert.match(rules.body.toString('utf8'), /CertaintyNoSchedulerLeaseHolder/);
  const firing = await prometheus.query('ALERTS{alertstate="firing"}');
  assert.deepEqual(firing.map((s) => s.metric.alertname), []);
});

test('/metrics refuses a request without a token, and promtool accepts what it serves', async () => {
  const node = env.cluster.nodes[1] as (typeof env.cluster.nodes)[number];
  const anonymous = await httpRequest(`${node.baseUrl}/metrics`, { ca: env.cluster.rootPem });
  assert.equal(anonymous.status, 401);
  const res = await httpRequest(`${node.baseUrl}/metrics`, { ca: env.cluster.rootPem, headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  // Certainty's own families; the Node.js client's process metrics keep their customary names.
  const ours = res.body.toString('utf8').split('\n\n').filter((block) => block.startsWith('# HELP certainty_')).join('\n\n');
  const lint = await runUnchecked('promtool', ['check', 'metrics'], { input: `${ours}\n` });
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
});
