import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast.ts';

/** Seconds: from a fast local http-01 check to a slow DNS propagation or a retried job. */
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds: signing a CRL of a few entries takes milliseconds; of hundreds of thousands, seconds. */
const CRL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: from an indexed read on a warm connection to a transaction stuck behind a lock. */
const DB_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Every metric Certainty exports, registered on one node's registries: `node` for what every node
 * exports, `cluster` for the facts only the scheduler lease holder exports. docs/metrics.md is generated
 * from this (`npm run docs:metrics`), and a test fails when the two differ. Labels hold bounded
 * values only: route names, outcomes, kinds, types, issuer ids, sinks, never serials or the names
 * clients ask for; a managed certificate's or a probe's name is the one exception, bounded by the number of
 * certificates and probes an operator manages (as cert-manager labels its certificates).
 * Managed certificates, SSH and secrets add their metrics here as those domains export them. A CRL's
 * signing time is labelled by issuer only: by shard it would be up to 1,024 histograms per issuer.
 */
export function defineMetrics(node: Registry, cluster: Registry) {
  const on = { registers: [node] };
  const onCluster = { registers: [cluster] };
  return {
    buildInfo: new Gauge({ ...on, name: 'certainty_build_info', help: 'Always 1; the version label says which Certainty this node runs.', labelNames: ['version'] as const }),
    requests: new FastCounter(node, { name: 'certainty_acme_requests_total', help: 'ACME requests answered by this node, by route and status class (2xx, 4xx, 5xx…).', labelNames: ['route', 'status_class'] as const }),
    orders: new FastCounter(node, {
      name: 'certainty_acme_orders_total', labelNames: ['outcome'] as const,
      help: 'ACME orders by outcome on this node: created, valid (certificate signed at finalize), invalid (a validation failed).',
    }),
    validations: new Counter({ ...on, name: 'certainty_acme_validations_total', help: 'Challenge validations run by this node, by challenge type and outcome (valid, invalid; error: an internal failure, retried).', labelNames: ['type', 'outcome'] as const }),
    validationSeconds: new Histogram({
      ...on, name: 'certainty_acme_validation_duration_seconds', help: 'Time one challenge validation took on this node, by challenge type.', labelNames: ['type'] as const, buckets: LATENCY_BUCKETS,
    }),
    signatures: new FastCounter(node, { name: 'certainty_ca_signatures_total', help: 'Signatures made by this node with a CA key, by issuer id and purpose (leaf: a certificate for an ACME order).', labelNames: ['issuer', 'purpose'] as const }),
    jobsFinished: new Counter({ ...on, name: 'certainty_jobs_finished_total', help: 'Job attempts finished by this node\'s worker, by job kind and outcome (completed, failed).', labelNames: ['kind', 'outcome'] as const }),
    jobSeconds: new Histogram({ ...on, name: 'certainty_job_duration_seconds', help: 'Time one job attempt took on this node, by job kind.', labelNames: ['kind'] as const, buckets: LATENCY_BUCKETS }),
    leaseHeld: new Gauge({ ...on, name: 'certainty_lease_held', help: '1 for each cluster lease this node holds and trusts now, by lease name (scheduler).', labelNames: ['lease'] as const }),
    fencingRejections: new Counter({ ...on, name: 'certainty_lease_fencing_rejections_total', help: 'Writes under a lease that the database refused because the lease had moved to another node.' }),
    clusterFacts: new Gauge({ ...on, name: 'certainty_cluster_facts_exporter', help: '1 on the one node that exports the cluster-wide facts (the scheduler lease holder), 0 on the others.' }),
    dbWritable: new Gauge({ ...on, name: 'certainty_database_writable', help: '1 when this node\'s database accepts writes, 0 when it is read-only (a standby) or unreachable.' }),
    dbPing: new Gauge({ ...on, name: 'certainty_database_ping_seconds', help: 'Time this node took, at the last scrape, to ask the database whether it accepts writes.' }),
    dbSeconds: new FastHistogram(node, {
      name: 'certainty_database_statement_duration_seconds', labelNames: ['op'] as const, buckets: DB_BUCKETS,
      help: 'Time a database statement took on this node (query, exec), or a whole transaction (transaction), waiting for a connection included.',
    }),
    dbInFlight: new Gauge({ ...on, name: 'certainty_database_statements_in_flight', help: 'Statements and transactions running on this node\'s database connections at the scrape; above database.poolSize (PostgreSQL), work waits for a connection.' }),
    kekOpens: new Gauge({ ...on, name: 'certainty_kek_opens', help: '1 when this node\'s KEK still opens the database\'s secrets, 0 after a rotation to a KEK this node was not given.' }),
    upstreamOrders: new Counter({
      ...on, name: 'certainty_lifecycle_upstream_orders_total', labelNames: ['issuer', 'outcome'] as const,
      help: 'New orders this node asked of an upstream issuer for managed certificates, by issuer name and outcome: created, refused (the upstream answered an error), waiting (held back by the issuer\'s rate budget, never sent).',
    }),
    renewalFailures: new Counter({ ...on, name: 'certainty_managed_certificate_renewal_failures_total', help: 'Failed renewal attempts run by this node, by managed certificate name.', labelNames: ['name'] as const }),
    deploys: new Counter({ ...on, name: 'certainty_lifecycle_deploys_total', help: 'Deploy jobs of managed certificates run by this node, by target kind (file, exec, haproxy, nginx, webhook) and outcome: deployed, verified (the endpoint serves the new certificate), failed.', labelNames: ['target', 'outcome'] as const }),
    sshSigned: new Counter({
      ...on, name: 'certainty_ssh_certificates_signed_total', labelNames: ['kind', 'outcome'] as const,
      help: 'SSH certificate requests on this node (signing and host renewals), by certificate kind (user, host; unknown: no such role) and outcome: signed, refused.',
    }),
    secretOps: new Counter({
      ...on, name: 'certainty_secrets_operations_total', labelNames: ['mount', 'operation', 'outcome'] as const,
      help: 'Secret reads and writes on this node, by mount (the first path segment; other: a path under no stored secret), operation (read, write) and outcome: success, denied (no policy grants it), failed.',
    }),
    crlSignSeconds: new Histogram({
      ...on, name: 'certainty_crl_sign_duration_seconds', labelNames: ['issuer'] as const, buckets: CRL_BUCKETS,
      help: 'Time this node took to sign one CRL (complete or one shard), by issuer id; grows with the revoked certificates it lists.',
    }),
    readErrors: new Counter({ ...on, name: 'certainty_metrics_read_errors_total', help: 'Scrapes that could not read a source of metrics (database, kek, cluster_facts); those series are then absent.', labelNames: ['source'] as const }),
    // Cluster facts, from the database, exported by one node only: a registry of their own.
    queueDepth: new Gauge({ ...onCluster, name: 'certainty_job_queue_depth', help: 'Cluster-wide jobs not done, by kind and status (queued, running, failed).', labelNames: ['kind', 'status'] as const }),
    queueAge: new Gauge({ ...onCluster, name: 'certainty_job_queue_oldest_age_seconds', help: 'Cluster-wide, by job kind: how long the longest-waiting runnable queued job has been waiting.', labelNames: ['kind'] as const }),
    crlUpdated: new Gauge({ ...onCluster, name: 'certainty_crl_last_update_timestamp_seconds', help: 'thisUpdate of the stored CRL, by issuer id and shard ("all" for the complete CRL).', labelNames: ['issuer', 'shard'] as const }),
    crlSize: new Gauge({ ...onCluster, name: 'certainty_crl_size_bytes', help: 'Size of the stored CRL (DER), by issuer id and shard ("all" for the complete CRL): what every relying party downloads.', labelNames: ['issuer', 'shard'] as const }),
    crlNext: new Gauge({ ...onCluster, name: 'certainty_crl_next_update_timestamp_seconds', help: 'nextUpdate of the stored CRL, by issuer id and shard ("all" for the complete CRL): relying parties reject it after this.', labelNames: ['issuer', 'shard'] as const }),
    managedExpiry: new Gauge({ ...onCluster, name: 'certainty_managed_certificate_expiration_timestamp_seconds', help: 'notAfter of the current revision of each managed certificate, by name (absent until it is first issued).', labelNames: ['name'] as const }),
    managedFailures: new Gauge({ ...onCluster, name: 'certainty_managed_certificate_consecutive_failures', help: 'By managed certificate name: renewal attempts failed in a row since its last success, whichever node ran them (0 when the last one succeeded).', labelNames: ['name'] as const }),
    managedReady: new Gauge({ ...onCluster, name: 'certainty_managed_certificate_ready', help: 'By managed certificate name: 1 when its current revision is valid now and its last renewal attempt did not fail, 0 otherwise.', labelNames: ['name'] as const }),
    probeExpiry: new Gauge({ ...onCluster, name: 'certainty_probe_certificate_expiration_timestamp_seconds', help: 'notAfter of the certificate each TLS probe read at its last run, by probe name (absent until a probe reads one).', labelNames: ['probe'] as const }),
    probeOk: new Gauge({ ...onCluster, name: 'certainty_probe_ok', help: 'By probe name: 1 when the last run read a certificate with a valid chain, a matching name, no drift and time left; 0 otherwise (or before the first run).', labelNames: ['probe'] as const }),
    usedNonces: new Gauge({ ...onCluster, name: 'certainty_acme_nonce_ledger_rows', help: 'Cluster-wide: redeemed ACME nonces kept until they expire (the used-nonce ledger).' }),
    auditLagRecords: new Gauge({ ...onCluster, name: 'certainty_audit_forwarding_lag_records', help: 'Cluster-wide, by audit sink: audit records written but not yet delivered to the sink.', labelNames: ['sink'] as const }),
    auditLagSeconds: new Gauge({ ...onCluster, name: 'certainty_audit_forwarding_lag_seconds', help: 'Cluster-wide, by audit sink: age of the oldest audit record not yet delivered to the sink (0 when none).', labelNames: ['sink'] as const }),
  };
}

export type MetricSet = ReturnType<typeof defineMetrics>;
