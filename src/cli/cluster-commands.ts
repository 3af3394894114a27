import type { Command } from 'commander';
import { clusterStatus, type ClusterStatus } from '../cluster/status.ts';
import { openDb } from '../config/database.ts';
import { clusterStores } from '../context.ts';
import { humanDuration } from '../duration.ts';
import { currentSchema } from '../store/migrations.ts';
import { configFrom, print } from './options.ts';
import { table } from '../table.ts';

/** `cluster status` for people: '-' where there is nothing to show (a free lease), durations in words. */
export function renderClusterStatus(status: ClusterStatus): string {
  const { nodes, leases, queue } = status;
  return [
    table(['NODE', 'STATUS', 'ADDRESS', 'VERSION', 'LAST SEEN', 'LEASES'], nodes.map((n) => [
      n.id, n.status, n.address, n.version, `${humanDuration(Math.max(0, n.lastSeenAgoMs))} ago`, n.leases.join(',') || '-',
    ])),
    '',
    table(['LEASE', 'HOLDER', 'TOKEN', 'EXPIRES'], leases.map((l) => [
      l.name, l.holder ?? '-', String(l.token), l.expiresInMs === null ? '-' : `in ${humanDuration(l.expiresInMs)}`,
    ])),
    '',
    `jobs: ${queue.queued} queued, ${queue.running} running, ${queue.failed} failed, ${queue.done} done (last 24 h)`,
  ].join('\n');
}

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
        const status = await clusterStatus(clusterStores(db));
        print(opts.json === true, status, () => renderClusterStatus(status));
      } finally {
        await db.close();
      }
    });
}
