import { randomBytes } from 'node:crypto';
import type { Server } from 'node:https';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AcmeDeps, ValidationQueue } from './acme/context.ts';
import { JwsVerifier } from './acme/jws.ts';
import { NonceService } from './acme/nonce.ts';
import { IdentifierPolicy } from './acme/policy.ts';
import { runChallengeValidation } from './acme/validate-challenge.ts';
import { startAudit } from './audit/runtime.ts';
import type { AuditRecorder } from './audit/log.ts';
import type { Authority } from './ca/authority.ts';
import { CRL_JOB, type CrlReport } from './ca/crl-publisher.ts';
import { caInfo } from './ca/info.ts';
import { loadNodeId } from './cluster/node-id.ts';
import { SCHEDULER_LEASE, startClusterRuntime } from './cluster/runtime.ts';
import { clusterDuties, DUTY_JOB } from './cluster/duties.ts';
import { acmeSettings } from './config/acme-settings.ts';
import { resolveDrainDelay } from './config/drain-delay.ts';
import type { Config } from './config/schema.ts';
import { accountUriMatcher, validationSettings } from './config/validation-settings.ts';
import { publicBaseUrl, splitListen } from './config/urls.ts';
import { adminServices, lifecycleServices, notifyDelivery, notifyService, openCa, probeServices, secretDeps, secretNotifier, sshService } from './context.ts';
import { dataDirWarning, writePrivateFile } from './data-dir.ts';
import { dutyHandlers, startLocalRenewal } from './duties.ts';
import { clientAddressResolver } from './http/client-address.ts';
import { serverTls } from './http/listener-tls.ts';
import { hostPolicy } from './config/hosts.ts';
import { createServer } from './http/server.ts';
import { domainRoutes } from './http/route-catalog.ts';
import { sideRoutes, type SideDeps } from './http/side-routes.ts';
import { startAdminListener } from './http/admin-listener.ts';
import { sshPublicRoutes } from './http/ssh-routes.ts';
import { http01Routes } from './http/lifecycle-routes.ts';
import { runProbesDuty } from './lifecycle/probe/duty.ts';
import { deliverMessage, NOTIFY_JOB, runNotifyDuty } from './notify/deliver.ts';
import { DEPLOY_JOB } from './lifecycle/deploy-job.ts';
import { RENEW_JOB } from './lifecycle/managed.ts';
import type { LocalSigner } from './lifecycle/renew.ts';
import { lifecycleRuntime } from './lifecycle/runtime.ts';
import { secretResolver } from './lifecycle/secret-ref.ts';
import { runSecretsDuty } from './secrets/duty.ts';
import { Waiters } from './jobs/waiters.ts';
import { Worker } from './jobs/worker.ts';
import { kekStillOpens, nonceKey } from './kek/open.ts';
import { Metrics } from './metrics/metrics.ts';
import { countingIssuer, timedValidator } from './metrics/wrap.ts';
import { SqlAcmeStore } from './store/acme-store.ts';
import { SqlAuditOutboxStore } from './store/audit-outbox-store.ts';
import { SqlAuditChainStore, SqlCheckpointKeyStore } from './store/audit-store.ts';
import { SqlLeaseStore, SqlNodeStore, SqlScheduleStore } from './store/cluster-store.ts';
import { SqlRevocationStore } from './store/crl-store.ts';
import { SqlJobStore } from './store/job-store.ts';
import { SqlKekSettingsStore } from './store/kek-store.ts';
import { SqlClusterFactsStore } from './store/metrics-store.ts';
import { timedDatabase } from './store/timed-database.ts';
import { createCaaChecker, type CaaChecker } from './validation/caa.ts';
import { createResolver } from './validation/resolver.ts';
import { createValidator, type Validator } from './validation/validate.ts';
import { VERSION } from './version.ts';
import { readFileSync } from 'node:fs';
import { ConsoleOidc } from './admin/console-oidc.ts';
import { ConsoleSessions } from './admin/console-sessions.ts';
import { storedCheckpointKey } from './audit/checkpoint-key.ts';
import type { AdminDeps } from './http/admin-routes.ts';
import { consoleAdmin } from './http/console/admin-call.ts';
import { consoleRoutes, type ConsoleRoutes } from './http/console/routes.ts';
import type { OpsRouteDeps } from './http/ops-routes.ts';
import type { Keyring } from './kek/envelope.ts';
import { SqlAdminTokenStore } from './store/admin-store.ts';
import { SqlAuditReadStore } from './store/audit-store.ts';
import { SqlConsoleSessionStore } from './store/console-session-store.ts';
import type { Database } from './store/db.ts';

const VALIDATE = 'validate-challenge';

/** A running node; `stop()` drains it. */
export interface RunningNode {
  url: string;
  /** Where /admin and /metrics are served: `url`, or the admin listener's (admin.listen). */
  adminUrl: string;
  stop(): Promise<void>;
}

interface JobDeps {
  store: SqlAcmeStore;
  validator: Validator;
  caa: CaaChecker | undefined;
  waiters: Waiters;
  authority: Authority;
  handlers: Record<string, () => Promise<void>>;
  now: () => number;
}

/** What this node's worker runs: challenge validations, the scheduled duties, and CRL rebuilds. */
function registerJobs(worker: Worker, deps: JobDeps): void {
  worker.register(VALIDATE, async (job, owner) => {
    const challengeId = String(job.payload.challengeId);
    try {
      await runChallengeValidation({ store: deps.store, validator: deps.validator, caa: deps.caa, now: deps.now }, { id: job.id, owner, challengeId }, job.attempts >= job.maxAttempts);
      return 'completed';
    } finally {
      deps.waiters.release(challengeId);
    }
  });
  worker.register(DUTY_JOB, async (job) => {
    const run = deps.handlers[String(job.payload.duty)];
    if (!run) throw new Error(`unknown duty ${String(job.payload.duty)}`);
    await run();
  });
  // Queued with every revocation: rebuilds the CRL (or the shard's) unless one covering it is already stored.
  worker.register(CRL_JOB, async (job) => {
    await deps.authority.currentCrl(String(job.payload.issuerId), job.payload.shard === undefined ? undefined : Number(job.payload.shard));
  });
}

/**
 * Validation jobs as ACME enqueues them: run at once on this node when the account has a free
 * slot here (no claim round trip), else queued for any node. The account is the fairness key: its
 * validations take turns with other accounts'.
 */
function validationQueue(worker: Worker, waiters: Waiters, o: { owner: string; claimMs: number; maxAttempts: number }): ValidationQueue {
  return {
    async enqueue(s, challengeId, accountId) {
      const claimFor = worker.hasCapacity(accountId) ? { owner: o.owner, claimMs: o.claimMs } : undefined;
      const options = { idempotencyKey: `validate:${challengeId}`, maxAttempts: o.maxAttempts, fairKey: accountId, ...(claimFor ? { claimFor } : {}) };
      const job = await s.enqueueJob(VALIDATE, { challengeId }, options);
      return () => (job && claimFor ? worker.adopt(job) : worker.kick());
    },
    settled: (challengeId, ms) => waiters.wait(challengeId, ms),
  };
}

/** What the operator reads when the server is up: the node id(s), the directory, the root, the drain delay. */
const rootPemPath = (dataDir: string): string => join(dataDir, 'root.pem');

/**
 * Writes the root certificate into the data directory for clients to trust, and warns when the
 * directory is open to other users. Done once per machine: by the node, or by the primary of
 * `serve --workers`. Returns the root's path.
 */
export function publishRoot(dataDir: string, rootPem: string, log: Logger): string {
  const path = rootPemPath(dataDir);
  writePrivateFile(path, rootPem);
  const openDir = dataDirWarning(dataDir);
  if (openDir !== undefined) log.warn(openDir);
  return path;
}

export function serveBanner(o: { nodes: readonly string[]; dialect: string; url: string; rootPath: string; drain: { ms: number; why: string }; consoleUrl?: string }): string {
  const nodes = o.nodes.length === 1 ? `node ${o.nodes.join('')}` : `${o.nodes.length} workers: ${o.nodes.join(', ')}`;
  return `\nCertainty ${VERSION} is serving (${nodes}, ${o.dialect})\n  ACME directory:   ${o.url}/directory\n  Web console:      ${o.consoleUrl ?? `${o.url}/console/`}\n  Root certificate: ${o.rootPath}\n  Drain delay:      ${o.drain.ms} ms (${o.drain.why})\n\n`;
}

/** What the cluster and audit admin routes read (the console's cluster and audit pages use them too). */
function opsDeps(db: Database, jobs: SqlJobStore, kek: Keyring): OpsRouteDeps {
  const keys = new SqlCheckpointKeyStore(db);
  return {
    cluster: { nodes: new SqlNodeStore(db), leases: new SqlLeaseStore(db), jobs },
    audit: { read: new SqlAuditReadStore(db), outbox: new SqlAuditOutboxStore(db), checkpointKey: () => storedCheckpointKey(keys, kek) },
  };
}

/** The web console: sessions in the database (any node serves any page), every read and action through the admin route table. */
function webConsole(db: Database, admin: AdminDeps, o: { config: Config; url: string; log: Logger; now: () => number; audit: AuditRecorder }): ConsoleRoutes {
  const { log, now } = o;
  const store = new SqlConsoleSessionStore(db);
  const tokens = new SqlAdminTokenStore(db, db, o.audit);
  const sessions = new ConsoleSessions({ store, verifyToken: (t) => admin.tokens.verify(t), tokenHash: (id) => tokens.tokenHash(id), now, audit: (e) => tokens.audit(e) });
  const sso = o.config.console.oidc;
  const oidc = sso && new ConsoleOidc({ ...sso, clientSecret: readSecretFile('console.oidc.clientSecretFile', sso.clientSecretFile), redirectUri: `${consoleBase(o.config, o.url)}/console/oidc/callback` }, { store, now });
  return consoleRoutes({ sessions, admin: consoleAdmin(admin), now, log, ...(oidc ? { oidc } : {}) });
}

/** The console is served where the admin API is: on the admin listener when there is one. */
const consoleBase = (config: Config, url: string): string => (config.admin.listen === undefined ? url : `https://${config.admin.listen}`);

function readSecretFile(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new Error(`${key}: cannot read ${path} (${(err as Error).message}); write the client secret there, readable by this user only`, { cause: err });
  }
}

/** This CA as the lifecycle's local issuer, under the same issuance policy as ACME orders (allowed names, wildcards, IP ranges). */
function policyChecked(authority: Authority, policy: IdentifierPolicy): LocalSigner {
  return {
    issuerId: authority.issuerId,
    authorityKeyId: authority.authorityKeyId,
    async sign(input) {
      policy.check([...input.dnsNames.map((value) => ({ type: 'dns', value })), ...input.ipAddresses.map((value) => ({ type: 'ip', value }))]);
      return authority.sign(input);
    },
  };
}

/**
 * Starts a node: database, KEK, CA, cluster duties, job worker and the HTTP(S) listener. As worker
 * process `workerIndex` of `serve --workers` (src/workers.ts) it is node `<id>-w<workerIndex>`, and
 * the primary, which already wrote root.pem, prints the banner for all of them.
 */
export async function serve(config: Config, log: Logger, workerIndex?: number): Promise<RunningNode> {
  const now = Date.now;
  // CRL signing times go to the metrics built next: the CA signs no CRL before this node serves.
  const crlReport: CrlReport = { crlSigned: (issuerId, seconds) => metrics.crlSigned(issuerId, seconds) };
  const { db: opened, kek, authority } = await openCa(config, log, now, true, crlReport);
  // Read at scrape time only, once the listener (started after the cluster runtime) is up.
  const metrics = new Metrics({
    leases: () => cluster.held(), fencingRejected: () => cluster.fencing.rejected, exportsClusterFacts: () => cluster.held().some((l) => l.name === SCHEDULER_LEASE),
    writable: () => db.writable(), statementsInFlight: () => db.inFlight, kekOpens: () => kekStillOpens(kekSettings, kek), facts: new SqlClusterFactsStore(opened),
  }, VERSION);
  // Statements from here on are timed for the metrics (the CA's stores, opened above, are not).
  const db = timedDatabase(opened, metrics);
  const nodeId = loadNodeId(config.dataDir, workerIndex);
  const drain = resolveDrainDelay(config.server.drainDelayMs, db.dialect.name);
  const audit = await startAudit({
    stores: { chain: new SqlAuditChainStore(db), outbox: new SqlAuditOutboxStore(db), keys: new SqlCheckpointKeyStore(db) },
    nodeId, kek, config, version: VERSION, address: config.listen, log,
  });
  const kekSettings = new SqlKekSettingsStore(db);
  const store = new SqlAcmeStore(db, audit.log);
  const jobs = new SqlJobStore(db);
  const worker = new Worker(jobs, {
    owner: nodeId, concurrency: config.validation.concurrency, concurrencyPerKey: config.validation.concurrencyPerAccount, claimMs: config.cluster.jobClaimMs, pollMs: 500, report: metrics,
  }, log);
  const policy = new IdentifierPolicy(config.policy);
  if (policy.open) log.warn('no issuance policy configured: any valid DNS name or IP address may be issued (set policy.allowedDomains / policy.allowedIpRanges)');
  const validation = validationSettings(config, policy);
  const validator = timedValidator(createValidator(validation), metrics);
  // CAA is checked when the directory names this CA's CAA identities (RFC 8555 §7.1.1 meta.caaIdentities).
  const caa = config.acme.caaIdentities.length === 0
    ? undefined
    : createCaaChecker(createResolver(validation), { identities: config.acme.caaIdentities, accountUriMatches: accountUriMatcher(config) });
  const waiters = new Waiters();
  const ssh = sshService({ db, kek, audit: audit.as('admin-api'), now, report: metrics });
  const secrets = secretDeps({ db, kek, recorder: audit.as('admin-api').recorder, now, notifier: secretNotifier(config), report: metrics });
  const lifecycle = lifecycleServices({ db, kek, audit: audit.as('admin-api'), now });
  const probes = probeServices({ db, audit: audit.as('admin-api'), now });
  const renewals = lifecycleRuntime({ store: lifecycle.store, kek, now, log, local: policyChecked(authority, policy), settings: config.lifecycle, secret: secretResolver(secrets, `node:${nodeId}`), report: metrics });
  worker.register(RENEW_JOB, async (job) => renewals.renew(job.payload));
  worker.register(DEPLOY_JOB, async (job, owner) => renewals.deploy(job.payload, { id: job.id, owner }));
  const delivery = notifyDelivery({ db, kek, now, log });
  worker.register(NOTIFY_JOB, async (job) => deliverMessage(delivery, String(job.payload.id)));
  registerJobs(worker, { store, validator, caa, waiters, authority, handlers: dutyHandlers({ store, jobs, authority, log, now, sshKrl: () => ssh.krl(), secrets: () => runSecretsDuty(secrets, `node:${nodeId}`, log), lifecycle: () => renewals.duty(), probes: () => runProbesDuty({ store: probes.store, now, log }), notify: () => runNotifyDuty(delivery) }), now });
  const admin = adminServices({ db, kek, audit: audit.as('admin-api'), now });
  const acme: AcmeDeps = {
    store, revocations: new SqlRevocationStore(db, db, audit.log), jws: new JwsVerifier(), issuer: countingIssuer(authority, metrics), policy, eab: admin.eab,
    settings: acmeSettings(config), now, log, audit: audit.log,
    nonces: new NonceService(await nonceKey(kekSettings, kek), store, config.acme.nonceLifetimeSeconds * 1000, now),
    newId: () => randomBytes(12).toString('base64url'),
    validations: validationQueue(worker, waiters, { owner: nodeId, claimMs: config.cluster.jobClaimMs, maxAttempts: config.validation.maxAttempts }),
  };
  let draining = false;
  const url = publicBaseUrl(config);
  const cluster = await startClusterRuntime({
    stores: { nodes: new SqlNodeStore(db), leases: new SqlLeaseStore(db), schedules: new SqlScheduleStore(db) },
    nodeId, version: VERSION, address: config.listen, leaseTtlMs: config.cluster.leaseTtlMs, duties: clusterDuties({ ...config.cluster, lifecyclePeriodMs: config.lifecycle.checkPeriodMs }), log, draining: () => draining,
    leaseHooks: audit.leaseHooks,
  });
  const adminDeps: AdminDeps = { ...admin, runAs: audit.runAs, log, authority: () => authority, caInfo: () => caInfo(authority, config.ca.algorithm), routes: domainRoutes({
    metrics, ssh, secrets, lifecycle, probes: { ...probes, now }, notify: notifyService({ db, kek, audit: audit.as('admin-api'), now }), ops: opsDeps(db, jobs, kek), drillReports: config.console.drillReports,
  }) };
  const sideDeps: SideDeps = {
    health: {
      db, jobs, nodeId, version: VERSION, startedAt: Date.now(), caLoaded: () => true, kekOk: () => kekStillOpens(kekSettings, kek), draining: () => draining, dialect: db.dialect.name,
      leases: () => cluster.held(), fencing: cluster.fencing,
    },
    admin: adminDeps,
    authority: () => authority,
    publicRoutes: [...sshPublicRoutes(ssh), ...http01Routes(lifecycle.store, now)],
    console: webConsole(db, adminDeps, { config, url, log, now, audit: audit.log }),
  };
  const side = sideRoutes({ ...sideDeps, adminHere: config.admin.listen === undefined });
  const tls = config.tls.enabled ? await serverTls(config, authority) : undefined;
  const server = createServer({
    acme, side, externalUrl: config.externalUrl, publicUrl: url, tls: tls?.material,
    hosts: hostPolicy({ tlsNames: config.tls.names, listenHost: splitListen(config.listen).host, publicUrl: url }), maxBodyBytes: config.acme.maxBodyBytes,
    requestTimeoutMs: config.server.requestTimeoutMs, log, clientAddress: clientAddressResolver(config.server.trustedProxies), requests: metrics,
  });
  const { host, port } = splitListen(config.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const adminListener = await startAdminListener(config, authority, {
    acme, side: sideRoutes(sideDeps), maxBodyBytes: config.acme.maxBodyBytes, requestTimeoutMs: config.server.requestTimeoutMs, log,
    clientAddress: clientAddressResolver(config.server.trustedProxies), requests: metrics,
  }, log, async (serial) => {
    // Node prints the serial without the leading zero the stored form may have.
    for (const s of [serial, `0${serial}`]) if ((await store.certificateBySerial(s))?.revokedAt != null) return true;
    return false;
  });
  await worker.start();
  const renew = tls?.renew;
  const renewal = renew === undefined ? undefined : startLocalRenewal(() => renew(server as Server), log);
  // A worker's primary writes root.pem, warns about the directory and prints the banner, once.
  const alone = workerIndex === undefined;
  const rootPath = alone ? publishRoot(config.dataDir, authority.rootPem, log) : rootPemPath(config.dataDir);
  log.info({ node: nodeId, version: VERSION, directory: `${url}/directory`, console: `${consoleBase(config, url)}/console/`, root: rootPath, database: db.dialect.name, drainDelayMs: drain.ms, drainDelay: drain.why }, 'certainty is serving');
  const sharedNames = config.admin.listen === undefined ? [] : (config.admin.names ?? config.tls.names).filter((n) => config.tls.names.includes(n));
  // Browsers do not scope cookies by port: a console session cookie set on the admin listener is also sent to the ACME listener under the same name.
  if (sharedNames.length > 0) log.warn({ names: sharedNames }, 'the admin listener shares host names with the ACME listener, so browsers send console cookies to both; give the admin listener names of its own (admin.names)');
  if (alone) process.stderr.write(serveBanner({ nodes: [nodeId], dialect: db.dialect.name, url, rootPath, drain, consoleUrl: `${consoleBase(config, url)}/console/` }));
  return {
    url,
    adminUrl: adminListener?.url ?? url,
    async stop() {
      // Not ready at once; keep serving while the load balancer notices; then finish in-flight
      // requests, hand leases and job claims back, and close the database.
      draining = true;
      log.info({ delayMs: drain.ms }, 'draining: reporting not ready');
      await new Promise((r) => setTimeout(r, drain.ms));
      renewal?.stop();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await Promise.race([closed, new Promise<void>((r) => setTimeout(r, config.server.shutdownTimeoutMs).unref())]);
      server.closeAllConnections();
      await adminListener?.stop(config.server.shutdownTimeoutMs);
      await worker.stop(Math.max(1000, config.server.shutdownTimeoutMs / 2));
      await cluster.stop();
      await audit.stop();
      await db.close();
      log.info('stopped');
    },
  };
}
