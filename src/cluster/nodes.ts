import { randomBytes } from 'node:crypto';
import type { NodeRecord, NodeStore } from './store.ts';

export interface NodeInfo {
  id: string;
  version: string;
  address: string;
  /** up, draining or stopped as the node reported it; down when its heartbeat is stale. */
  status: 'up' | 'draining' | 'stopped' | 'down';
  startedAt: string;
  lastSeen: string;
  lastSeenAgoMs: number;
}

/** A node whose heartbeat is older than this is reported down. */
const NODE_DOWN_AFTER_MS = 3000;
export const HEARTBEAT_MS = 1000;

export class NodeCloneError extends Error {}

export function nodeInfo(r: NodeRecord): NodeInfo {
  return {
    id: r.id, version: r.version, address: r.address,
    status: r.status === 'stopped' ? 'stopped' : r.ageMs > NODE_DOWN_AFTER_MS ? 'down' : (r.status as 'up' | 'draining'),
    startedAt: new Date(r.startedAt).toISOString(), lastSeen: new Date(r.lastSeen).toISOString(), lastSeenAgoMs: r.ageMs,
  };
}

export interface NodeRegistryDeps {
  store: NodeStore;
  nodeId: string;
  version: string;
  address: string;
}

/**
 * This process as a node: it registers at start and heartbeats every second (database clock).
 * Each process start has its own `instance` id: finding our node id alive under another instance
 * means this data directory was copied from a running node, and two processes must never share an
 * identity (leases and job claims are held by node id).
 */
export class NodeRegistry {
  readonly instance = randomBytes(8).toString('hex');

  constructor(private readonly deps: NodeRegistryDeps) {}

  /**
   * Registers this process as the node. A recent heartbeat under our id may be our own previous
   * incarnation that just crashed, or a live copy of this data directory: we watch it for one
   * down-period, and only a heartbeat that keeps advancing (a live process) is refused.
   */
  async register(): Promise<void> {
    const { store, nodeId } = this.deps;
    const first = await store.node(nodeId);
    if (first && first.status !== 'stopped' && first.ageMs < NODE_DOWN_AFTER_MS) {
      await new Promise((r) => setTimeout(r, NODE_DOWN_AFTER_MS + 500));
      const again = await store.node(nodeId);
      if (again && again.status !== 'stopped' && again.lastSeen !== first.lastSeen) {
        throw new NodeCloneError(
          `node id ${nodeId} is in use by a live node (it heartbeats under instance ${again.instance}): this data directory was copied from a running node. ` +
            'Give each node its own data directory, or delete its server_id file to make a new identity.',
        );
      }
    }
    await store.register({ id: nodeId, instance: this.instance, version: this.deps.version, address: this.deps.address });
  }

  /** Heartbeat; false if another instance took over our identity (then we must stop). */
  heartbeat(status: 'up' | 'draining' | 'stopped'): Promise<boolean> {
    return this.deps.store.heartbeat(this.deps.nodeId, this.instance, status);
  }
}
