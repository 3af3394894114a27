import type { Command } from 'commander';
import { openDb } from '../config/database.ts';
import { publicBaseUrl } from '../config/urls.ts';
import { inventoryCounts, openCa } from '../context.ts';
import { createLogger } from '../logger.ts';
import { serve } from '../serve.ts';
import { runPrimary, runWorker, workerCount, workerIndex } from '../workers.ts';
import { currentSchema, LATEST_SCHEMA, migrate } from '../store/migrations.ts';
import { describeDatabase } from '../store/open.ts';
import { configFrom, print, quietLogger } from './options.ts';
import { join } from 'node:path';
import { writePrivateFile } from '../data-dir.ts';

export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('start the server (creates the database, KEK and CA on first start)')
    .option('--workers <n>', 'processes sharing the listener, each a node of its own: a number or "auto" (server.workers, default 1)')
    .action(async (opts: { workers?: string }, cmd: Command) => {
      const config = configFrom(cmd, opts.workers === undefined ? [] : [['server.workers', opts.workers]]);
      const worker = workerIndex();
      const base = createLogger(config.log.level, config.log.format);
      const log = worker === undefined ? base : base.child({ worker });
      // A driver may leave a promise rejected when a connection dies under it (e.g. during a
      // database failover); that is logged, not a reason to take the whole node down.
      process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
      const count = workerCount(config.server.workers);
      if (worker !== undefined || count > 1) {
        process.exitCode = worker === undefined ? await runPrimary(config, log, count) : await runWorker(config, log, worker);
        // A worker's IPC channel to the primary, or a peer's keep-alive socket, must not hold the process up.
        if (process.connected) process.disconnect();
        setTimeout(() => process.exit(), 1_000).unref();
        return;
      }
      const node = await serve(config, log);
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          log.info({ signal }, 'shutting down');
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          node.stop().then(resolve, (err: unknown) => {
            log.error({ err }, 'unclean shutdown');
            process.exitCode = 1;
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      // Everything is closed; a socket a peer keeps alive (an http-01 target, a load balancer's
      // keep-alive) must not hold the process up after a clean stop.
      setTimeout(() => process.exit(), 1_000).unref();
    });

  program
    .command('init')
    .description('create the data directory, database, KEK and CA without serving')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const ctx = await openCa(config, quietLogger(config));
      const rootPath = join(config.dataDir, 'root.pem');
      writePrivateFile(rootPath, ctx.authority.rootPem);
      await ctx.db.close();
      const result = { created: ctx.created, dataDir: config.dataDir, database: describeDatabase(config.database.url, config.dataDir), root: rootPath, directory: `${publicBaseUrl(config)}/directory` };
      print(opts.json === true, result, () => `${ctx.created ? 'Created' : 'Found'} the CA in ${result.database}\nRoot certificate: ${rootPath}\nStart serving with: certainty serve`);
    });

  program
    .command('migrate')
    .description('apply pending database migrations (safe while other nodes run)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const db = openDb(config);
      try {
        const report = await migrate(db);
        print(opts.json === true, report, () => report.applied.length === 0
          ? `Schema is current (version ${report.current}).`
          : `Applied ${report.applied.map((m) => `${m.id} (${m.name})`).join(', ')}; schema is at version ${report.current}.`);
      } finally {
        await db.close();
      }
    });

  program
    .command('status')
    .description('show the database, schema, CA and counts')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const db = openDb(config);
      try {
        const schema = await currentSchema(db);
        const counts = schema === 0 ? {} : await inventoryCounts(db);
        const result = { database: describeDatabase(config.database.url, config.dataDir), schema: { current: schema, latest: LATEST_SCHEMA }, counts };
        print(opts.json === true, result, () => [
          `Database: ${result.database}`,
          `Schema:   ${schema} of ${LATEST_SCHEMA}${schema < LATEST_SCHEMA ? ' (run "certainty migrate")' : ''}`,
          ...Object.entries(counts).map(([k, v]) => `${k.padEnd(20)} ${v}`),
        ].join('\n'));
      } finally {
        await db.close();
      }
    });
}
