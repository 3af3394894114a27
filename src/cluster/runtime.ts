import type { Logger } from 'pino';
import type { JobQueue } from '../jobs/queue.ts';
import type { Database } from '../store/db.ts';
import { LeaseKeeper, type FencingStats, type LeaseKeeperOptions } from './lease-keeper.ts';
import { LeaseStore } from './leases.ts';
import { HEARTBEAT_MS, NodeRegistry } from './nodes.ts';
import { Scheduler, type Duty } from './scheduler.ts';

export const SCHEDULER_LEASE = 'scheduler';

export interface ClusterDeps {
  db: Database;
  jobs: JobQueue;
  nodeId: string;
  version: string;
  address: string;
  leaseTtlMs: number;
  duties: readonly Duty[];
  log: Logger;
  /** Whether the node is draining (reported in heartbeats). */
  draining: () => boolean;
  /** Told when this node takes or loses a lease (the audit log records both). */
  leaseHooks: Pick<LeaseKeeperOptions, 'onAcquired' | 'onLost'>;
}

export interface ClusterRuntime {
  registry: NodeRegistry;
  leases: LeaseStore;
  fencing: FencingStats;
  /** Leases this node holds and trusts right now. */
  held(): Array<{ name: string; token: number }>;
  /** Stops duties and heartbeats, releases leases, marks the node stopped. */
  stop(): Promise<void>;
}

/** Node identity, heartbeats, the scheduler lease and the periodic duties it enqueues. */
export async function startClusterRuntime(deps: ClusterDeps): Promise<ClusterRuntime> {
  const registry = new NodeRegistry(deps.db, deps.nodeId, deps.version, deps.address);
  await registry.register();
  const leases = new LeaseStore(deps.db);
  const fencing: FencingStats = { rejected: 0 };
  const keeper = new LeaseKeeper(leases, { name: SCHEDULER_LEASE, holder: deps.nodeId, ttlMs: deps.leaseTtlMs, ...deps.leaseHooks }, fencing, deps.log);
  const scheduler = new Scheduler(deps.db, leases, keeper, deps.jobs, deps.nodeId, deps.duties, deps.log);
  await scheduler.start();
  keeper.start();
  const beat = setInterval(() => {
    registry.heartbeat(deps.draining() ? 'draining' : 'up').then(
      (mine) => {
        if (!mine) deps.log.error('another process took over this node id; this node should be stopped');
      },
      (err: unknown) => deps.log.warn({ err }, 'heartbeat failed'),
    );
  }, HEARTBEAT_MS);
  beat.unref();
  return {
    registry,
    leases,
    fencing,
    held() {
      const lease = keeper.current();
      return lease ? [{ name: lease.name, token: lease.token }] : [];
    },
    async stop() {
      clearInterval(beat);
      scheduler.stop();
      await keeper.stop();
      await registry.heartbeat('stopped').catch(() => false);
    },
  };
}
