import type { JobDepth } from '../jobs/queue.ts';
import type { JobStore } from '../jobs/store.ts';
import { leaseInfo, type LeaseInfo } from './leases.ts';
import { nodeInfo, type NodeInfo } from './nodes.ts';
import type { LeaseStore, NodeStore } from './store.ts';

/** What `certainty cluster status` reports (its `--json` shape). */
export interface ClusterStatus {
  nodes: Array<NodeInfo & { leases: string[] }>;
  leases: LeaseInfo[];
  queue: JobDepth;
}

export interface ClusterStatusDeps {
  nodes: NodeStore;
  leases: LeaseStore;
  jobs: Pick<JobStore, 'depth'>;
}

/** Every node with the leases it holds, every lease, and the job queue's depth. */
export async function clusterStatus(deps: ClusterStatusDeps): Promise<ClusterStatus> {
  const nodes = (await deps.nodes.list()).map(nodeInfo);
  const leases = (await deps.leases.list()).map(leaseInfo);
  const queue = await deps.jobs.depth();
  return {
    nodes: nodes.map((n) => ({ ...n, leases: leases.filter((l) => l.holder === n.id).map((l) => l.name) })),
    leases,
    queue,
  };
}
