import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { VerifyReport } from '../audit/verify.ts';
import type { Config } from '../config/schema.ts';
import { openDb } from '../config/database.ts';
import { LATEST_SCHEMA } from '../store/migrations.ts';
import { startHttp01Responder, type Http01Responder } from '../acme-client/responder.ts';
import { issueProbeCertificate, type ProbeResult } from './acme-probe.ts';
import { readArchive, type OpenedArchive } from './archive.ts';
import { checkChain } from './chain-check.ts';
import { authenticateArchive, kekSource } from './kek-check.ts';
import type { PgToolOptions } from './pg-snapshot.ts';
import { finishRestore } from './restore.ts';
import { freeLoopbackPort, scratchConfig, scratchDatabase, type ScratchDatabase } from './scratch.ts';
import { checkCompatible, emptyTarget, writeTarget } from './target.ts';
import { readiness, StepRunner, type StepReport } from './steps.ts';

/** A node started on the restored copy; `stop()` drains it. */
interface RunningNode {
  url: string;
  stop(): Promise<void>;
}

export interface DrTestOptions {
  /** Starts a node on a configuration (the server's own start, passed in by the command). */
  startNode: (config: Config, log: Logger) => Promise<RunningNode>;
  /** Verifies every audit chain of a configuration's database against its checkpoint key (passed in by the command). */
  verifyAudit: (config: Config) => Promise<VerifyReport>;
  scratchDatabaseUrl: string | undefined;
  pg: PgToolOptions;
  /** Bound on the ACME issuance. */
  issueTimeoutMs: number;
  log: Logger;
}

export interface DrReport {
  ok: boolean;
  from: string;
  dialect: string | null;
  createdAt: string | null;
  steps: StepReport[];
  totalMs: number;
}

/** What the test started, so that everything is stopped and removed however it ends. */
interface Scratch {
  dir: string;
  config?: Config;
  database?: ScratchDatabase;
  responder?: Http01Responder;
  node?: RunningNode;
  archive?: OpenedArchive;
  rootPem?: string;
  probe?: ProbeResult;
}

const PROBE_IP = '127.0.0.1';

async function restoredRoot(config: Config): Promise<string> {
  const db = openDb(config);
  try {
    const rows = await db.query<{ role: string; cert_pem: string }>(`SELECT role, cert_pem FROM issuers WHERE active = 1`);
    const root = rows.find((r) => r.role === 'root') ?? rows.find((r) => r.role === 'intermediate');
    if (root === undefined) throw new Error('the restored database has no active CA');
    return root.cert_pem;
  } finally {
    await db.close();
  }
}

async function restoreStep(config: Config, s: Scratch, opts: DrTestOptions): Promise<string> {
  const archive = s.archive as OpenedArchive;
  if (archive.manifest.dialect === 'postgres') s.database = await scratchDatabase(config, opts.scratchDatabaseUrl);
  s.responder = await startHttp01Responder();
  s.config = scratchConfig(config, { dataDir: join(s.dir, 'data'), databaseUrl: s.database?.url, port: await freeLoopbackPort(), http01Port: s.responder.port });
  const target = await emptyTarget(s.config);
  checkCompatible(archive.manifest, target, LATEST_SCHEMA);
  await writeTarget(target, archive.payloadPath, opts.pg);
  const migrated = await finishRestore(s.config, archive);
  s.rootPem = await restoredRoot(s.config);
  const tables = Object.keys(archive.manifest.tables).length;
  return `${tables} tables match the manifest in ${s.database?.label ?? 'a scratch SQLite file'}; schema ${migrated.schemaBefore} → ${migrated.schemaAfter}`;
}

async function auditStep(s: Scratch, opts: DrTestOptions): Promise<string> {
  const report = await opts.verifyAudit(s.config as Config);
  if (!report.intact) {
    const broken = report.chains.find((c) => !c.intact);
    throw new Error(`the audit chain of ${broken?.nodeId ?? '?'} is broken: ${broken?.problems[0]?.message ?? 'see certainty audit verify'}`);
  }
  return `${report.chains.length} chain(s), ${report.chains.reduce((n, c) => n + c.records, 0)} records intact`;
}

async function cleanup(s: Scratch): Promise<string> {
  const failures: string[] = [];
  const attempt = async (what: string, fn: (() => Promise<void>) | undefined): Promise<void> => {
    if (fn === undefined) return;
    await fn().catch((err: unknown) => void failures.push(`${what}: ${(err as Error).message}`));
  };
  await attempt('stop the scratch server', s.node && (() => (s.node as RunningNode).stop()));
  await attempt('stop the responder', s.responder && (() => (s.responder as Http01Responder).close()));
  await attempt(`remove the ${s.database?.label ?? ''}`, s.database && (() => (s.database as ScratchDatabase).remove()));
  await attempt('remove the scratch directory', () => rm(s.dir, { recursive: true, force: true }));
  if (failures.length > 0) throw new Error(failures.join('; '));
  return [s.node && 'scratch server stopped', s.database && `${s.database.label} removed`, `${s.dir} removed`].filter(Boolean).join(', ');
}

/**
 * Restores an archive into a scratch instance and proves it works: the archive's MAC verifies
 * under the configured KEK, which opens its secrets, and its checksums match, the restore matches the manifest, a scratch server becomes ready,
 * a certificate is issued end to end over ACME and chains to the restored root, and the audit
 * chains verify. Everything it started is stopped and removed afterwards.
 */
export async function drTest(config: Config, from: string, opts: DrTestOptions): Promise<DrReport> {
  const started = performance.now();
  const s: Scratch = { dir: await mkdtemp(join(tmpdir(), 'certainty-drtest-')) };
  const steps = new StepRunner();
  await steps.run('archive', async () => {
    s.archive = await readArchive(from, s.dir, authenticateArchive(config, from));
    const m = s.archive.manifest;
    return `format ${m.formatVersion}, ${m.dialect}, schema ${m.schemaVersion}, Certainty ${m.certaintyVersion}, created ${m.createdAt}, ${m.payload.size} bytes; MAC verified with ${kekSource(config)} (KEK ${s.archive.kekId}), checksum ok`;
  });
  await steps.run('restore', () => restoreStep(config, s, opts));
  await steps.run('serve', async () => {
    s.node = await opts.startNode(s.config as Config, opts.log);
    return `scratch server at ${s.node.url}`;
  });
  await steps.run('health', () => readiness(`${(s.node as RunningNode).url}/readyz`, s.rootPem as string, 15_000));
  await steps.run('issue', async () => {
    s.probe = await issueProbeCertificate(`${(s.node as RunningNode).url}/directory`, s.rootPem as string, PROBE_IP, s.responder as Http01Responder, opts.issueTimeoutMs);
    return `account, order for ${PROBE_IP}, http-01, finalize and download`;
  });
  await steps.run('chain', async () => checkChain((s.probe as ProbeResult).chainPem, s.rootPem as string, PROBE_IP, (s.probe as ProbeResult).spki, new Date()));
  await steps.run('audit', () => auditStep(s, opts));
  await steps.always('cleanup', () => cleanup(s));
  const m = s.archive?.manifest;
  return { ok: steps.ok, from, dialect: m?.dialect ?? null, createdAt: m?.createdAt ?? null, steps: steps.reports, totalMs: Math.round(performance.now() - started) };
}
