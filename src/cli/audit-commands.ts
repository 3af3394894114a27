import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AUDIT_ACTIONS, isAuditAction } from '../audit/chain.ts';
import { checkpointKeyFromPem, hasCheckpointKey, storedCheckpointKey, type CheckpointKey } from '../audit/checkpoint-key.ts';
import { readSinkCopy, type SinkCopy } from '../audit/sink-copy.ts';
import type { AuditFilter } from '../audit/store.ts';
import { verifyChains, type ChainReport, type VerifyReport } from '../audit/verify.ts';
import { isoTime, recordJson } from '../audit/wire.ts';
import type { Config } from '../config/schema.ts';
import { openDb } from '../config/database.ts';
import { auditStores, openDatabaseKek } from '../context.ts';
import type { Database } from '../store/db.ts';
import { currentSchema } from '../store/migrations.ts';
import { MIGRATIONS } from '../store/schema.ts';
import { configFrom, print } from './options.ts';
import { table } from '../table.ts';

type Json = { json?: boolean };

interface ListOptions extends Json {
  since?: string;
  until?: string;
  actor?: string;
  action?: string;
  object?: string;
  node?: string;
  limit: string;
}

const AUDIT_SCHEMA = MIGRATIONS.find((m) => m.name === 'audit')?.id ?? 0;

/** Opens the database (never creates or migrates anything), runs `fn`, closes it. */
async function withDb<T>(cmd: Command, fn: (db: Database, config: Config) => Promise<T>): Promise<T> {
  const config = configFrom(cmd);
  const db = openDb(config);
  try {
    if ((await currentSchema(db)) < AUDIT_SCHEMA) throw new Error('this database has no audit log yet: run "certainty migrate" (or start "certainty serve") first');
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

/**
 * The key checkpoints are checked against: `--public-key` when given (an auditor's copy), else the
 * cluster's, opened with the KEK (a public key stored in plain text could be replaced by whoever
 * rewrites the chain). Undefined while no node has created one.
 */
async function checkpointKey(db: Database, config: Config, publicKeyFile: string | undefined): Promise<CheckpointKey | undefined> {
  if (publicKeyFile !== undefined) return checkpointKeyFromPem(readText('--public-key', publicKeyFile));
  const { keys } = auditStores(db);
  if (!(await hasCheckpointKey(keys))) return undefined;
  try {
    return await storedCheckpointKey(keys, await openDatabaseKek(db, config));
  } catch (err) {
    throw new Error(`checking the signed checkpoints needs the checkpoint key, which is wrapped by the KEK: ${(err as Error).message}. Run this where the KEK is configured, or give --public-key FILE (printed by "certainty audit checkpoint-key")`, { cause: err });
  }
}

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${flag}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function sinkCopyOf(file: string | undefined, key: CheckpointKey | undefined): SinkCopy | undefined {
  if (file === undefined) return undefined;
  if (key === undefined) throw new Error('--sink-copy needs the checkpoint key, and this database has none yet: give it with --public-key FILE');
  return readSinkCopy(readText('--sink-copy', file), key);
}

function sinkCopyText(copy: SinkCopy): string {
  const ignored = copy.rejected + copy.unreadable === 0 ? '' : ` (ignored: ${copy.rejected} checkpoints that do not verify under the key, ${copy.unreadable} lines without a record)`;
  return `Sink copy: the latest signed checkpoint of ${copy.anchors.size} chains checked against the database${ignored}.`;
}

function parseTime(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw new Error(`${flag} must be an ISO 8601 time such as 2026-01-31 or 2026-01-31T12:00:00Z (got "${text}")`);
  return ms;
}

function parseFilter(opts: ListOptions): AuditFilter {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new Error(`--limit must be a whole number from 1 to 100000 (got "${opts.limit}")`);
  if (opts.action !== undefined && !isAuditAction(opts.action)) throw new Error(`--action must be one of ${AUDIT_ACTIONS.join(', ')} (got "${opts.action}")`);
  const since = parseTime('--since', opts.since);
  const until = parseTime('--until', opts.until);
  return {
    limit, ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }), ...(opts.actor === undefined ? {} : { actor: opts.actor }),
    ...(opts.action !== undefined && isAuditAction(opts.action) ? { action: opts.action } : {}), ...(opts.node === undefined ? {} : { nodeId: opts.node }),
    ...(opts.object === undefined ? {} : { object: opts.object }),
  };
}

function chainText(c: ChainReport): string {
  const head = c.headSeq === null ? 'no head' : `head ${c.headSeq}`;
  const signed = c.checkpoint === null ? 'no checkpoint' : `signed up to ${c.checkpoint.seq} at ${isoTime(c.checkpoint.time) ?? c.checkpoint.time}`;
  const lines = [`${c.nodeId}  ${c.records} records  ${head}  ${c.intact ? 'intact' : 'BROKEN'}  ${signed}, ${c.unsigned} unsigned since`];
  for (const p of c.problems) lines.push(`  seq ${String(p.seq).padEnd(8)} ${p.kind.padEnd(13)} ${p.message}`);
  if (c.moreProblems > 0) lines.push(`  … and ${c.moreProblems} more problems`);
  return lines.join('\n');
}

function verifyText(report: VerifyReport): string {
  if (report.chains.length === 0) return 'No audit records yet.';
  const broken = report.chains.filter((c) => !c.intact).length;
  const summary = broken === 0 ? `All ${report.chains.length} chains are intact.` : `${broken} of ${report.chains.length} chains are broken.`;
  const key = report.checkpointKey === null ? 'Checkpoint key: none yet.' : `Checkpoint key ${report.checkpointKey}.`;
  return [...report.chains.map(chainText), '', summary, key].join('\n');
}

/** What the database alone cannot show: a chain cut back with its checkpoints looks intact (docs/audit.md). */
const NO_SINK_COPY = 'A chain cut back past its last checkpoint still looks intact here: only a sink\'s copy can show it (--sink-copy FILE).';

/** `certainty audit verify | checkpoint-key | list | sinks`. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit.command('verify').description('check every node\'s hash chain and signed checkpoints; exits 1 if any is broken').option('--node <id>', 'only this node\'s chain')
    .option('--public-key <file>', 'check checkpoints against this PEM public key instead of the one the KEK opens')
    .option('--sink-copy <file>', 'records as a sink received them (JSON lines, webhook bodies or syslog lines): the chains must still reach their latest checkpoint in it')
    .option('--json', 'print JSON')
    .action((opts: Json & { node?: string; publicKey?: string; sinkCopy?: string }, cmd: Command) => withDb(cmd, async (db, config) => {
      const key = await checkpointKey(db, config, opts.publicKey);
      const copy = sinkCopyOf(opts.sinkCopy, key);
      const report = await verifyChains(auditStores(db).read, { key, ...(opts.node === undefined ? {} : { nodeId: opts.node }), ...(copy === undefined ? {} : { anchors: copy.anchors }) });
      const sinkCopy = copy && { chains: copy.anchors.size, rejected: copy.rejected, unreadable: copy.unreadable };
      print(opts.json === true, { ...report, ...(sinkCopy ? { sinkCopy } : {}) }, () => [verifyText(report), copy ? sinkCopyText(copy) : NO_SINK_COPY].join('\n'));
      if (!report.intact) process.exitCode = 1;
    }));
  audit.command('checkpoint-key').description('the public key checkpoints are signed with, to verify sink copies offline').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withDb(cmd, async (db, config) => {
      const key = await checkpointKey(db, config, undefined);
      if (key === undefined) throw new Error('no checkpoint key yet: the first node to start ("certainty serve") creates it');
      print(opts.json === true, { keyId: key.keyId, publicKeyPem: key.publicKeyPem }, () => `key id ${key.keyId}\n${key.publicKeyPem.trimEnd()}`);
    }));
  audit.command('list').alias('search').description('list records, newest first')
    .option('--since <iso>', 'at or after this time').option('--until <iso>', 'before this time').option('--actor <actor>', 'e.g. account:<id>, cli:<user>, admin-api')
    .option('--action <action>', `one of ${AUDIT_ACTIONS.join(', ')}`).option('--object <object>', 'e.g. secret:cluster/db (with --action secret.revealed: who revealed it)')
    .option('--node <id>', 'only this node\'s records').option('--limit <n>', 'how many', '100').option('--json', 'print JSON')
    .action((opts: ListOptions, cmd: Command) => withDb(cmd, async (db) => {
      const records = await auditStores(db).read.list(parseFilter(opts));
      print(opts.json === true, records.map(recordJson), () => table(
        ['TIME', 'NODE', 'SEQ', 'ACTOR', 'ACTION', 'OBJECT', 'OUTCOME'],
        records.map((r) => [isoTime(r.time) ?? String(r.time), r.nodeId, String(r.seq), r.actor, r.action, r.object, r.outcome]),
      ));
    }));
  audit.command('sinks').description('delivery progress of each sink over each node\'s chain').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withDb(cmd, async (db) => {
      const rows = await auditStores(db).outbox.cursors();
      print(opts.json === true, rows, () => table(
        ['SINK', 'NODE', 'DELIVERED', 'HEAD', 'BACKLOG', 'ATTEMPTS', 'LAST ERROR'],
        rows.map((r) => [r.sink, r.nodeId, String(r.seq), String(r.headSeq), String(r.headSeq - r.seq), String(r.attempts), r.lastError ?? '-']),
      ));
    }));
}
