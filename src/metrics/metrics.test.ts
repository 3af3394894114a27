import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics } from './metrics.ts';
import type { ScrapeSources } from './scrape.ts';
import type { ClusterFacts } from './store.ts';

const FACTS: ClusterFacts = {
  jobs: [{ kind: 'crl', status: 'queued', count: 2 }],
  oldestQueued: [{ kind: 'crl', ageSeconds: 12.5 }],
  crls: [{ issuerId: 'iss1', shard: 'all', thisUpdate: 1_700_000_000_000, nextUpdate: 1_700_086_400_000, bytes: 512 }, { issuerId: 'iss1', shard: '3', thisUpdate: 1_700_000_000_000, nextUpdate: 1_700_086_400_000, bytes: 4096 }],
  managed: [{ name: 'web', notAfter: 1_700_086_400_000, ready: true, failures: 0 }, { name: 'new', notAfter: undefined, ready: false, failures: 2 }],
  usedNonces: 7,
  auditLag: [{ sink: 'syslog', records: 3, oldestSeconds: 4 }],
};

function sources(over: Partial<ScrapeSources> = {}): ScrapeSources {
  return {
    leases: () => [{ name: 'scheduler' }], fencingRejected: () => 0, exportsClusterFacts: () => true,
    writable: async () => true, statementsInFlight: () => 0, kekOpens: async () => true, facts: { read: async () => FACTS }, ...over,
  };
}

test('the scheduler lease holder exports the cluster facts', async () => {
  const text = await new Metrics(sources(), '1.2.3').render();
  assert.match(text, /^certainty_job_queue_depth\{kind="crl",status="queued"\} 2$/m);
  assert.match(text, /^certainty_job_queue_oldest_age_seconds\{kind="crl"\} 12.5$/m);
  assert.match(text, /^certainty_crl_last_update_timestamp_seconds\{issuer="iss1",shard="all"\} 1700000000$/m);
  assert.match(text, /^certainty_crl_size_bytes\{issuer="iss1",shard="all"\} 512$/m);
  assert.match(text, /^certainty_crl_size_bytes\{issuer="iss1",shard="3"\} 4096$/m);
  assert.match(text, /^certainty_acme_nonce_ledger_rows 7$/m);
  assert.match(text, /^certainty_audit_forwarding_lag_records\{sink="syslog"\} 3$/m);
  assert.match(text, /^certainty_lease_held\{lease="scheduler"\} 1$/m);
  assert.match(text, /^certainty_cluster_facts_exporter 1$/m);
  assert.match(text, /^certainty_build_info\{version="1.2.3"\} 1$/m);
  assert.match(text, /^certainty_managed_certificate_expiration_timestamp_seconds\{name="web"\} 1700086400$/m);
  assert.match(text, /^certainty_managed_certificate_ready\{name="web"\} 1$/m);
  assert.match(text, /^certainty_managed_certificate_ready\{name="new"\} 0$/m);
  assert.match(text, /^certainty_managed_certificate_consecutive_failures\{name="new"\} 2$/m);
  assert.doesNotMatch(text, /^certainty_managed_certificate_expiration_timestamp_seconds\{name="new"\}/m);
});

test('lifecycle events are counted on the node that ran them', async () => {
  const metrics = new Metrics(sources(), 'x');
  metrics.upstreamOrder('le', 'created');
  metrics.upstreamOrder('le', 'waiting');
  metrics.upstreamOrder('le', 'waiting');
  metrics.renewalFailed('web');
  metrics.deployFinished('file', 'verified');
  const text = await metrics.render();
  assert.match(text, /^certainty_lifecycle_upstream_orders_total\{issuer="le",outcome="created"\} 1$/m);
  assert.match(text, /^certainty_lifecycle_upstream_orders_total\{issuer="le",outcome="waiting"\} 2$/m);
  assert.match(text, /^certainty_managed_certificate_renewal_failures_total\{name="web"\} 1$/m);
  assert.match(text, /^certainty_lifecycle_deploys_total\{target="file",outcome="verified"\} 1$/m);
});

test('other nodes export no cluster fact, and a lost lease takes them away', async () => {
  let holder = true;
  const metrics = new Metrics(sources({ exportsClusterFacts: () => holder, leases: () => (holder ? [{ name: 'scheduler' }] : []) }), 'x');
  assert.match(await metrics.render(), /^certainty_job_queue_depth\{/m);
  holder = false;
  const text = await metrics.render();
  assert.doesNotMatch(text, /^certainty_(job_queue_depth|crl_last_update_timestamp_seconds|acme_nonce_ledger_rows|audit_forwarding_lag_records)[ {]/m);
  assert.doesNotMatch(text, /^certainty_lease_held\{/m);
  assert.match(text, /^certainty_cluster_facts_exporter 0$/m);
});

test('requests by route and status class, orders, signatures, validations and jobs are counted', async () => {
  const metrics = new Metrics(sources({ exportsClusterFacts: () => false }), 'x');
  metrics.acmeRequest('newOrder', 201);
  metrics.acmeRequest('newOrder', 201);
  metrics.acmeRequest('finalize', 403);
  metrics.signed('iss1', 'leaf', true);
  metrics.validated('http-01', 'invalid', 0.2);
  metrics.validated('dns-01', 'error', 0.1);
  metrics.jobFinished('crl', 'completed', 0.05);
  metrics.statementFinished('query', 0.002);
  const text = await metrics.render();
  assert.match(text, /^certainty_acme_requests_total\{route="newOrder",status_class="2xx"\} 2$/m);
  assert.match(text, /^certainty_acme_requests_total\{route="finalize",status_class="4xx"\} 1$/m);
  assert.match(text, /^certainty_acme_orders_total\{outcome="created"\} 2$/m);
  assert.match(text, /^certainty_acme_orders_total\{outcome="valid"\} 1$/m);
  assert.match(text, /^certainty_acme_orders_total\{outcome="invalid"\} 1$/m);
  assert.match(text, /^certainty_ca_signatures_total\{issuer="iss1",purpose="leaf"\} 1$/m);
  assert.match(text, /^certainty_acme_validation_duration_seconds_count\{type="http-01"\} 1$/m);
  assert.match(text, /^certainty_jobs_finished_total\{kind="crl",outcome="completed"\} 1$/m);
  assert.match(text, /^certainty_database_statement_duration_seconds_bucket\{op="query",le="0.0025"\} 1$/m);
});

test('a database that does not answer leaves the node facts it can read, counts the error and exports no cluster fact', async () => {
  let rejected = 0;
  const metrics = new Metrics(sources({
    writable: () => Promise.reject(new Error('down')), facts: { read: () => Promise.reject(new Error('down')) }, fencingRejected: () => rejected,
  }), 'x');
  rejected = 2;
  const text = await metrics.render();
  assert.match(text, /^certainty_database_writable 0$/m);
  assert.match(text, /^certainty_metrics_read_errors_total\{source="database"\} 1$/m);
  assert.match(text, /^certainty_metrics_read_errors_total\{source="cluster_facts"\} 1$/m);
  assert.match(text, /^certainty_lease_fencing_rejections_total 2$/m);
  assert.doesNotMatch(text, /^certainty_job_queue_depth\{/m);
  rejected = 3;
  assert.match(await metrics.render(), /^certainty_lease_fencing_rejections_total 3$/m);
});

test('SSH signing outcomes are counted by certificate kind', async () => {
  const metrics = new Metrics(sources(), '1.2.3');
  metrics.sshSigned('user', 'signed');
  metrics.sshSigned('user', 'signed');
  metrics.sshSigned('unknown', 'refused');
  const text = await metrics.render();
  assert.match(text, /^certainty_ssh_certificates_signed_total\{kind="user",outcome="signed"\} 2$/m);
  assert.match(text, /^certainty_ssh_certificates_signed_total\{kind="unknown",outcome="refused"\} 1$/m);
});

test('secret reads and writes are counted by mount, operation and outcome; CRL signing times by issuer', async () => {
  const metrics = new Metrics(sources({ exportsClusterFacts: () => false }), 'x');
  metrics.secretOperation('cluster', 'read', 'success');
  metrics.secretOperation('cluster', 'read', 'success');
  metrics.secretOperation('other', 'write', 'denied');
  metrics.crlSigned('iss1', 0.02);
  const text = await metrics.render();
  assert.match(text, /^certainty_secrets_operations_total\{mount="cluster",operation="read",outcome="success"\} 2$/m);
  assert.match(text, /^certainty_secrets_operations_total\{mount="other",operation="write",outcome="denied"\} 1$/m);
  assert.match(text, /^certainty_crl_sign_duration_seconds_bucket\{le="0.025",issuer="iss1"\} 1$/m);
  assert.match(text, /^certainty_crl_sign_duration_seconds_count\{issuer="iss1"\} 1$/m);
});
