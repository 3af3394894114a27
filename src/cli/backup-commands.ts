import type { Command } from 'commander';
import { createBackup } from '../backup/backup.ts';
import { drTest, type DrReport } from '../backup/dr-test.ts';
import { kekSource } from '../backup/kek-check.ts';
import type { PgToolOptions } from '../backup/pg-snapshot.ts';
import { restoreBackup } from '../backup/restore.ts';
import { verifyAudit } from '../context.ts';
import { serve } from '../serve.ts';
import { configFrom, print, quietLogger } from './options.ts';
import { progress } from './progress.ts';
import { table } from '../table.ts';

interface ToolOpts {
  json?: boolean;
  pgBinDir?: string;
  timeout: string;
}

function pgOptions(opts: ToolOpts): PgToolOptions {
  const minutes = Number(opts.timeout);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`--timeout expects a number of minutes (got "${opts.timeout}")`);
  return { binDir: opts.pgBinDir, timeoutMs: minutes * 60_000 };
}

function withToolOptions(cmd: Command): Command {
  return cmd
    .option('--pg-bin-dir <dir>', 'directory of pg_dump / pg_restore (default: newest /usr/lib/postgresql/*/bin, else PATH)')
    .option('--timeout <minutes>', 'give up on pg_dump / pg_restore after this long', '60')
    .option('--json', 'print JSON');
}

const kib = (bytes: number): string => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

function registerBackup(program: Command): void {
  withToolOptions(program.command('backup').description('write a consistent, versioned archive of the database while it serves, MACed with the KEK (never containing it)')
    .requiredOption('--out <file>', 'archive to write')
    .option('--force', 'replace the archive if it exists'))
    .action(async (opts: ToolOpts & { out: string; force?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      // A bar at a terminal only: piped output stays exactly the summary below.
      const bar = progress('backup');
      const result = await createBackup(config, { out: opts.out, overwrite: opts.force === true, pg: pgOptions(opts), onProgress: (step, done, total) => bar.update(step, done, total) })
        .finally(() => bar.end());
      const m = result.manifest;
      print(opts.json === true, result, () => [
        `Backed up ${m.source} (schema ${m.schemaVersion}) to ${result.out}`,
        `  archive:      ${kib(result.bytes)}, sha256 ${result.sha256}`,
        `  payload:      ${m.payload.encoding}, ${kib(m.payload.size)}`,
        `  MAC:          HMAC-SHA256, key sealed by KEK ${result.kekId}`,
        `  certificates: ${m.tables.certificates ?? 0}   accounts: ${m.tables.accounts ?? 0}   orders: ${m.tables.orders ?? 0}`,
        `  took:         ${result.ms} ms`,
        `The KEK is not in the archive: keep ${kekSource(config)} backed up separately; without it nothing in the archive can be used.`,
      ].join('\n'));
    });
}

function registerRestore(program: Command): void {
  withToolOptions(program.command('restore').description('restore an archive into an empty data directory or database (checks its MAC with the KEK first)')
    .requiredOption('--from <file>', 'archive to restore'))
    .action(async (opts: ToolOpts & { from: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const bar = progress('restore');
      const result = await restoreBackup(config, opts.from, pgOptions(opts), (step, done, total) => bar.update(step, done, total)).finally(() => bar.end());
      print(opts.json === true, result, () => [
        `Restored ${result.from} (taken ${result.createdAt}) into ${result.target}`,
        `  MAC:          verified under KEK ${result.kekId}`,
        `  schema:       ${result.schemaBefore}${result.applied.length > 0 ? ` → ${result.schemaAfter} (applied ${result.applied.join(', ')})` : ' (current)'}`,
        `  certificates: ${result.tables.certificates ?? 0}   accounts: ${result.tables.accounts ?? 0}   orders: ${result.tables.orders ?? 0}`,
        `  took:         ${result.ms} ms`,
        'Start it with: certainty serve',
      ].join('\n'));
    });
}

function humanReport(r: DrReport): string {
  const rows = r.steps.map((s) => [s.status.toUpperCase(), s.name, `${s.ms} ms`, s.detail]);
  return [
    `DR test of ${r.from}${r.dialect ? ` (${r.dialect}, taken ${r.createdAt ?? '?'})` : ''}`,
    table(['RESULT', 'STEP', 'TIME', 'DETAIL'], rows),
    `${r.ok ? 'PASS' : 'FAIL'} in ${r.totalMs} ms`,
  ].join('\n');
}

function registerDrTest(program: Command): void {
  withToolOptions(program.command('dr-test').description('restore an archive into a scratch instance, check health and audit chains, issue a certificate; exit 1 on any failure')
    .requiredOption('--from <file>', 'archive to test')
    .option('--scratch-database-url <url>', 'empty PostgreSQL database for a PostgreSQL backup (default: create and drop one on the configured server)'))
    .action(async (opts: ToolOpts & { from: string; scratchDatabaseUrl?: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const report = await drTest(config, opts.from, {
        startNode: serve, verifyAudit, scratchDatabaseUrl: opts.scratchDatabaseUrl, pg: pgOptions(opts), issueTimeoutMs: 60_000, log: quietLogger(config),
      });
      print(opts.json === true, report, () => humanReport(report));
      const failed = report.steps.find((s) => s.status === 'fail');
      if (failed !== undefined) throw new Error(`the DR test failed at step "${failed.name}": ${failed.detail}`);
    });
}

/** `certainty backup`, `certainty restore` and `certainty dr-test`. */
export function registerBackupCommands(program: Command): void {
  registerBackup(program);
  registerRestore(program);
  registerDrTest(program);
}
