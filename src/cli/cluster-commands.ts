import type { Command } from 'commander';
import { LeaseStore } from '../cluster/leases.ts';
import { NodeRegistry } from '../cluster/nodes.ts';
import { openDb } from '../context.ts';
import { JobQueue } from '../jobs/queue.ts';
import { currentSchema } from '../store/migrations.ts';
import { configFrom, print, table } from './options.ts';

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('the nodes sharing this database');
  cluster
    .command('status')
    .description('every node with its health and leases, the leases, and the job queue')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const db = openDb(config);
      try {
        if ((await currentSchema(db)) === 0) throw new Error('the database is empty: no node has started on it yet');
        const nodes = await new NodeRegistry(db, '', '', '').list();
        const leases = await new LeaseStore(db).list();
        const queue = await new JobQueue(db).depth();
        const result = {
          nodes: nodes.map((n) => ({ ...n, leases: leases.filter((l) => l.holder === n.id).map((l) => l.name) })),
          leases,
          queue,
        };
        print(opts.json === true, result, () => [
          table(['NODE', 'STATUS', 'ADDRESS', 'VERSION', 'LAST SEEN', 'LEASES'], result.nodes.map((n) => [
            n.id, n.status, n.address, n.version, `${(n.lastSeenAgoMs / 1000).toFixed(1)} s ago`, n.leases.join(',') || '-',
          ])),
          '',
          table(['LEASE', 'HOLDER', 'TOKEN', 'EXPIRES IN'], leases.map((l) => [l.name, l.holder ?? '(free)', String(l.token), `${(l.expiresInMs / 1000).toFixed(1)} s`])),
          '',
          `jobs: ${queue.queued} queued, ${queue.running} running, ${queue.failed} failed, ${queue.done} done (last 24 h)`,
        ].join('\n'));
      } finally {
        await db.close();
      }
    });
}
