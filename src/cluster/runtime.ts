import type { Logger } from 'pino';
import type { Duty } from './duties.ts';
import { LeaseKeeper, type FencingStats, type LeaseKeeperOptions } from './lease-keeper.ts';
import { HEARTBEAT_MS, NodeRegistry } from './nodes.ts';
import { Scheduler } from './scheduler.ts';
import type { LeaseStore, NodeStore, ScheduleStore } from './store.ts';

/** The lease whose holder enqueues the duties (and exports the cluster-wide metrics). */
export const SCHEDULER_LEASE = 'scheduler';

export interface ClusterDeps {
  stores: { nodes: NodeStore; leases: LeaseStore; schedules: ScheduleStore };
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
  fencing: FencingStats;
  /** Leases this node holds and trusts right now. */
  held(): Array<{ name: string; token: number }>;
  /** Stops duties and heartbeats, releases leases, marks the node stopped. */
  stop(): Promise<void>;
}

/** Node identity, heartbeats, the scheduler lease and the periodic duties it enqueues. */
export async function startClusterRuntime(deps: ClusterDeps): Promise<ClusterRuntime> {
  const { stores, nodeId, log } = deps;
  const registry = new NodeRegistry({ store: stores.nodes, nodeId, version: deps.version, address: deps.address });
  await registry.register();
  const fencing: FencingStats = { rejected: 0 };
  const keeper = new LeaseKeeper({ store: stores.leases, name: SCHEDULER_LEASE, holder: nodeId, ttlMs: deps.leaseTtlMs, ...deps.leaseHooks, fencing, log });
  const scheduler = new Scheduler({ store: stores.schedules, keeper, holder: nodeId, duties: deps.duties, log });
  await scheduler.start();
  keeper.start();
  const beat = setInterval(() => {
    registry.heartbeat(deps.draining() ? 'draining' : 'up').then(
      (mine) => {
        if (!mine) log.error('another process took over this node id; this node should be stopped');
      },
      (err: unknown) => log.warn({ err }, 'heartbeat failed'),
    );
  }, HEARTBEAT_MS);
  beat.unref();
  return {
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
