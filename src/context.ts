import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Linker } from './acme/linker.ts';
import { EabKeyService } from './admin/eab.ts';
import { AdminService } from './admin/service.ts';
import type { InventoryCounts } from './admin/store.ts';
import { AdminTokens } from './admin/tokens.ts';
import { CustomRoles } from './admin/custom-roles.ts';
import { ConsoleSessionAdmin } from './admin/console-session-admin.ts';
import { storedCheckpointKey } from './audit/checkpoint-key.ts';
import type { AuditActor, AuditRecorder } from './audit/log.ts';
import { cliAudit, type CliAudit } from './audit/runtime.ts';
import type { AuditOutboxStore, AuditReadStore, CheckpointKeyStore } from './audit/store.ts';
import { verifyChains, type VerifyReport } from './audit/verify.ts';
import { loadNodeId } from './cluster/node-id.ts';
import { Authority, ensureCa } from './ca/authority.ts';
import type { CrlReport } from './ca/crl-publisher.ts';
import type { KeyAlgorithm } from './ca/keys.ts';
import type { Config } from './config/schema.ts';
import type { Keyring } from './kek/envelope.ts';
import type { Kek } from './kek/kek.ts';
import { openKek } from './kek/open.ts';
import type { KekRotationStore, KekSettingsStore } from './kek/store.ts';
import type { ClusterStatusDeps } from './cluster/status.ts';
import { SqlAdminStore, SqlAdminTokenStore, SqlEabKeyStore } from './store/admin-store.ts';
import { SqlAdminRoleStore } from './store/admin-role-store.ts';
import { SqlConsoleSessionStore } from './store/console-session-store.ts';
import { SqlCrlStore, SqlRevocationStore } from './store/crl-store.ts';
import { SqlAuditOutboxStore } from './store/audit-outbox-store.ts';
import { SqlAuditChainStore, SqlAuditReadStore, SqlCheckpointKeyStore } from './store/audit-store.ts';
import type { Database } from './store/db.ts';
import { SqlKekRotationStore, SqlKekSettingsStore } from './store/kek-store.ts';
import { SqlIssuerStore } from './store/issuer-store.ts';
import { SqlLeaseStore, SqlNodeStore } from './store/cluster-store.ts';
import { currentSchema, LATEST_SCHEMA, migrate, type MigrationReport } from './store/migrations.ts';
import { SqlJobStore } from './store/job-store.ts';
import { SqlLifecycleStore } from './store/lifecycle-store.ts';
import { SqlNotifyStore } from './store/notify-store.ts';
import { SqlProbeStore } from './store/probe-store.ts';
import { ProbeService } from './lifecycle/probe/probes.ts';
import type { ProbeStore } from './lifecycle/probe/store.ts';
import { NotifyService } from './notify/channels.ts';
import { NOTIFY_TIMEOUT_MS, type DeliverDeps } from './notify/deliver.ts';
import { Notifier } from './notify/notifier.ts';
import { IssuerService } from './lifecycle/issuers.ts';
import { ManagedService } from './lifecycle/managed.ts';
import type { LifecycleStore } from './lifecycle/store.ts';
import { SqlSshStore } from './store/ssh-store.ts';
import { SqlSecretPolicyStore, SqlSecretStore } from './store/secrets-store.ts';
import type { SecretDeps, SecretNotifier, SecretReport } from './secrets/deps.ts';
import { SecretWebhook } from './secrets/webhook.ts';
import { SshService } from './ssh/service.ts';
import type { SshReport } from './ssh/deps.ts';
import { applyDocument, type ApplyOptions, type ApplyResult } from './admin/apply.ts';
import { openDb } from './config/database.ts';
import { publicBaseUrl } from './config/urls.ts';

export interface CaContext {
  db: Database;
  kek: Keyring;
  authority: Authority;
  migration: MigrationReport;
  created: boolean;
}

function readOptional(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Opens everything a command that signs needs: database (migrated), KEK (created on first use
 * when it is a file), CA (created or imported on first use) and the loaded authority.
 * `crlReport` times CRL signing for a serving node's metrics.
 */
export async function openCa(config: Config, log: Logger, now: () => number = Date.now, create = true, crlReport?: CrlReport): Promise<CaContext> {
  const db = openDb(config);
  try {
    const migration = create ? await migrate(db, now) : await requireSchema(db);
    if (migration.applied.length > 0) log.info({ applied: migration.applied.map((m) => `${m.id}-${m.name}`) }, 'database migrated');
    const kek = await openKek(new SqlKekSettingsStore(db), config.kek, config.dataDir, create);
    const importChainPem = readOptional(config.ca.importCertFile, 'ca.importCertFile');
    const importKeyPem = readOptional(config.ca.importKeyFile, 'ca.importKeyFile');
    const issuers = new SqlIssuerStore(db);
    const { created } = !create ? { created: false } : await ensureCa({ issuers, kek }, {
      name: config.ca.name, algorithm: config.ca.algorithm as KeyAlgorithm, rootValidityDays: config.ca.rootValidityDays,
      intermediateValidityDays: config.ca.intermediateValidityDays,
      ...(importChainPem === undefined ? {} : { importChainPem }), ...(importKeyPem === undefined ? {} : { importKeyPem }),
    }, new Date(now()));
    if (created) log.info({ algorithm: config.ca.algorithm, imported: importChainPem !== undefined }, 'certificate authority created');
    const base = publicBaseUrl(config);
    const authority = await Authority.load({
      issuers, crls: new SqlCrlStore(db), kek, crlUrl: (id, shard) => new Linker(base).crl(id, shard), crlShards: config.ca.crlShards, crlLifetimeMs: config.ca.crlLifetimeHours * 3_600_000, now,
      report: crlReport,
    });
    return { db, kek, authority, migration, created };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

async function requireSchema(db: Database): Promise<MigrationReport> {
  const current = await currentSchema(db);
  if (current === 0) throw new Error('the database is empty: run "certainty init" (or start "certainty serve") first');
  return { applied: [], current, latest: LATEST_SCHEMA };
}

/** The operator services (CLI and admin API), their changes recorded as `audit.actor`. */
export interface AdminServices {
  eab: EabKeyService;
  tokens: AdminTokens;
  service: AdminService;
  /** Custom token roles. */
  roles: CustomRoles;
  /** Who is signed in to the web console, and ending their sessions. */
  consoleSessions: ConsoleSessionAdmin;
}

export function adminServices(deps: { db: Database; kek: Kek; audit: AuditActor; now: () => number }): AdminServices {
  const { db, kek, now } = deps;
  const { recorder, actor } = deps.audit;
  return {
    eab: new EabKeyService({ store: new SqlEabKeyStore(db, db, recorder), kek, now, actor }),
    tokens: new AdminTokens({ store: new SqlAdminTokenStore(db, db, recorder), now, actor }),
    service: new AdminService({ store: new SqlAdminStore(db, db, recorder), revocations: new SqlRevocationStore(db, db, recorder), now, actor }),
    roles: new CustomRoles({ store: new SqlAdminRoleStore(db, db, recorder), now, actor }),
    consoleSessions: new ConsoleSessionAdmin({ store: new SqlConsoleSessionStore(db, db, recorder), now, actor }),
  };
}

/** The SSH CA's operations (CLI and admin API), audited through `audit`. */
export function sshService(deps: { db: Database; kek: Kek; audit: AuditActor; now: () => number; report?: SshReport }): SshService {
  return new SshService({ store: new SqlSshStore(deps.db, deps.db, deps.audit.recorder), kek: deps.kek, now: deps.now, ...(deps.report ? { report: deps.report } : {}) });
}

/** The lifecycle services (CLI and admin API), their changes recorded as `audit.actor`. */
export interface LifecycleServices {
  store: LifecycleStore;
  issuers: IssuerService;
  managed: ManagedService;
  /** `certainty apply` and `POST /admin/apply`, recorded as `actor` (default `audit.actor`). */
  apply: (doc: unknown, opts: ApplyOptions, actor?: string) => Promise<ApplyResult>;
}

export function lifecycleServices(deps: { db: Database; kek: Kek; audit: AuditActor; now: () => number }): LifecycleServices {
  // Conditions lifecycle raises become notifications, queued in the same transactions.
  const notifier = new Notifier(deps.now);
  const store = new SqlLifecycleStore(deps.db, deps.db, deps.audit.recorder, notifier);
  const base = { store, kek: deps.kek, now: deps.now, actor: deps.audit.actor };
  return {
    store, issuers: new IssuerService(base), managed: new ManagedService(base),
    apply: (doc, opts, actor = deps.audit.actor) => applyDocument({
      lifecycle: store, probes: new SqlProbeStore(deps.db, deps.db, deps.audit.recorder, notifier), kek: deps.kek, now: deps.now, actor,
      // Both kinds of store on one transaction: an apply is all or nothing.
      transaction: (fn) => deps.db.transaction((tx) => fn({
        lifecycle: new SqlLifecycleStore(deps.db, tx, deps.audit.recorder, notifier), probes: new SqlProbeStore(deps.db, tx, deps.audit.recorder, notifier),
      })),
    }, doc, opts),
  };
}

/** TLS probes and the discovery inventory (CLI, admin API, the `probes` duty); their conditions become notifications. */
export function probeServices(deps: { db: Database; audit: AuditActor; now: () => number }): { store: ProbeStore; probes: ProbeService } {
  const store = new SqlProbeStore(deps.db, deps.db, deps.audit.recorder, new Notifier(deps.now));
  return { store, probes: new ProbeService({ store, now: deps.now, actor: deps.audit.actor }) };
}

/** Notification channels (CLI and admin API), their changes recorded as `audit.actor`. */
export function notifyService(deps: { db: Database; kek: Kek; audit: AuditActor; now: () => number }): NotifyService {
  const store = new SqlNotifyStore(deps.db, deps.db, deps.audit.recorder);
  return new NotifyService({ store, kek: deps.kek, now: deps.now, actor: deps.audit.actor, timeoutMs: NOTIFY_TIMEOUT_MS });
}

/** What a serving node's `notify-deliver` job and `notify` duty use. */
export function notifyDelivery(deps: { db: Database; kek: Kek; now: () => number; log: Logger }): DeliverDeps {
  return { store: new SqlNotifyStore(deps.db), kek: deps.kek, now: deps.now, log: deps.log, timeoutMs: NOTIFY_TIMEOUT_MS };
}

/** The secrets store's use-case dependencies (CLI and admin API), its changes audited through `recorder`. */
export function secretDeps(deps: { db: Database; kek: Kek; recorder: AuditRecorder; now: () => number; notifier?: SecretNotifier | undefined; report?: SecretReport }): SecretDeps {
  const { db, recorder } = deps;
  return {
    store: new SqlSecretStore(db, db, recorder), policies: new SqlSecretPolicyStore(db, db, recorder), kek: deps.kek, now: deps.now,
    newId: () => randomBytes(12).toString('hex'), notifier: deps.notifier, report: deps.report,
  };
}

/** The secrets webhook `config` names (undefined without one); its signing key is read now, so a bad file fails the start. */
export function secretNotifier(config: Config): SecretNotifier | undefined {
  const { webhookUrl, webhookKeyFile, webhookTimeoutMs } = config.kv;
  if (webhookUrl === undefined) return undefined;
  if (webhookKeyFile === undefined) throw new Error('kv.webhookUrl needs kv.webhookKeyFile: the key its deliveries are signed with (e.g. openssl rand -hex 32 > FILE)');
  const key = Buffer.from(readOptional(webhookKeyFile, 'kv.webhookKeyFile')?.trim() ?? '', 'utf8');
  if (key.length < 16) throw new Error(`kv.webhookKeyFile ${webhookKeyFile} must hold a key of at least 16 characters`);
  return new SecretWebhook({ url: new URL(webhookUrl), key, timeoutMs: webhookTimeoutMs });
}

/** What `certainty status` counts. */
export function inventoryCounts(db: Database): Promise<InventoryCounts> {
  return new SqlAdminStore(db).counts();
}

/** What `certainty cluster status` reads: the nodes, the leases and the job queue. */
export function clusterStores(db: Database): ClusterStatusDeps {
  return { nodes: new SqlNodeStore(db), leases: new SqlLeaseStore(db), jobs: new SqlJobStore(db) };
}

/** What `certainty audit` commands read: the chains, the sinks' cursors and the checkpoint key. */
export function auditStores(db: Database): { read: AuditReadStore; outbox: AuditOutboxStore; keys: CheckpointKeyStore } {
  return { read: new SqlAuditReadStore(db), outbox: new SqlAuditOutboxStore(db), keys: new SqlCheckpointKeyStore(db) };
}

/** What `certainty kek` commands read and re-wrap. */
export function kekStores(db: Database): { settings: KekSettingsStore; rotation: KekRotationStore } {
  return { settings: new SqlKekSettingsStore(db), rotation: new SqlKekRotationStore(db) };
}

/** The database's keyring as `config` configures it, checked against the database's verifier; nothing is created. */
export function openDatabaseKek(db: Database, config: Config): Promise<Keyring> {
  return openKek(new SqlKekSettingsStore(db), config.kek, config.dataDir, false);
}

/** The audit log a CLI command records into: the chain of the data directory's node, as the operating-system user. */
export function openCliAudit(db: Database, dataDir: string): CliAudit {
  return cliAudit({ chain: new SqlAuditChainStore(db), keys: new SqlCheckpointKeyStore(db), nodeId: loadNodeId(dataDir) });
}

/** Every audit chain of `config`'s database, verified against the checkpoint key its KEK opens (`backup dr-test`). */
export async function verifyAudit(config: Config): Promise<VerifyReport> {
  const db = openDb(config);
  try {
    const key = await storedCheckpointKey(new SqlCheckpointKeyStore(db), await openDatabaseKek(db, config));
    return await verifyChains(new SqlAuditReadStore(db), { key });
  } finally {
    await db.close();
  }
}
