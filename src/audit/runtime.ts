import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Keyring } from '../kek/envelope.ts';
import { writeCheckpoint } from './checkpoint.ts';
import { checkpointSigner } from './checkpoint-key.ts';
import { AuditCheckpointer } from './checkpointer.ts';
import { auditSettings, type AuditConfig } from './config.ts';
import { AuditForwarder } from './forwarder.ts';
import { cliActor, leaseAuditHooks, recordNodeStarted, recordNodeStopped } from './lifecycle.ts';
import { AuditLog, type AuditActor, type AuditRecorder } from './log.ts';
import { createSinks } from './sinks.ts';
import type { AuditChainStore, AuditOutboxStore, CheckpointKeyStore } from './store.ts';

/** Where a node's audit log lives: its chain, the sinks' cursors and the checkpoint signing key. */
export interface AuditStores {
  chain: AuditChainStore;
  outbox: AuditOutboxStore;
  keys: CheckpointKeyStore;
}

export interface AuditRuntimeDeps {
  stores: AuditStores;
  /** The node whose chain this is (src/cluster/node-id.ts: the data directory's id). */
  nodeId: string;
  /** Opens (or, on the cluster's first start, creates) the checkpoint signing key. */
  kek: Keyring;
  /** The node's whole configuration: its section digests go into `node.started`. */
  config: { audit: AuditConfig };
  version: string;
  address: string;
  log: Logger;
}

/** A serving node's audit log and forwarder. */
export interface AuditRuntime {
  log: AuditLog;
  /**
   * The log as an admin service records it, e.g. `as('admin-api')`: inside `runAs`, records made
   * as that actor name the request's actor instead (the admin API's token).
   */
  as(actor: string): AuditActor;
  /** Runs `fn` with every record it makes through `as(…)` attributed to `who`. */
  runAs<T>(who: RequestActor, fn: () => Promise<T>): Promise<T>;
  /** `onAcquired`/`onLost` for the node's LeaseKeeper. */
  leaseHooks: ReturnType<typeof leaseAuditHooks>;
  /** Records `node.stopped`, signs the final head, forwards what it can within the sinks' timeout, stops the forwarder. */
  stop(): Promise<void>;
}

/** Who a request acts as: `token:<id>`, and details every record it makes carries (the token's name, `breakGlass`). */
export interface RequestActor {
  actor: string;
  details: Record<string, unknown>;
}

/**
 * `log` recording as `fallback`, except inside a request that set its actor: the services keep
 * one actor string from their construction, and the request's is read when each record is made,
 * so no service needs a caller parameter for its audit records.
 */
function onBehalf(log: AuditRecorder, requests: AsyncLocalStorage<RequestActor>, fallback: string): AuditRecorder {
  return {
    record(chain, event) {
      const who = requests.getStore();
      // A record the service already names the caller on (`token:<id>`) still gets the caller's details.
      if (who === undefined || (event.actor !== fallback && event.actor !== who.actor)) return log.record(chain, event);
      return log.record(chain, { ...event, actor: who.actor, details: { ...who.details, ...event.details } });
    },
  };
}

/**
 * Records `node.started` (and `config.changed` when the configuration differs from this node's
 * last start), signs the head at once (covering whatever a crashed predecessor left unsigned),
 * then signs periodically and forwards.
 */
export async function startAudit(deps: AuditRuntimeDeps): Promise<AuditRuntime> {
  const settings = auditSettings(deps.config.audit);
  const { chain, outbox, keys } = deps.stores;
  const log = new AuditLog({ chain, nodeId: deps.nodeId });
  const forwarder = new AuditForwarder({
    outbox, sinks: createSinks(settings.sinks, settings.timeoutMs), log: deps.log, options: {
      owner: deps.nodeId, batchSize: settings.batchSize, pollMs: settings.pollMs, timeoutMs: settings.timeoutMs,
      retryMinMs: settings.retryMinMs, retryMaxMs: settings.retryMaxMs,
    },
  });
  const checkpointer = new AuditCheckpointer({
    chain, nodeId: deps.nodeId, signer: await checkpointSigner(keys, deps.kek), intervalMs: settings.checkpointIntervalSeconds * 1000, log: deps.log,
  });
  await recordNodeStarted(log, { version: deps.version, address: deps.address, config: deps.config });
  await checkpointer.checkpoint();
  checkpointer.start();
  forwarder.start();
  const requests = new AsyncLocalStorage<RequestActor>();
  return {
    log,
    as: (actor) => ({ recorder: onBehalf(log, requests, actor), actor }),
    runAs: (who, fn) => requests.run(who, fn),
    leaseHooks: leaseAuditHooks(log, deps.log),
    async stop() {
      await recordNodeStopped(log).catch((err: unknown) => deps.log.warn({ err }, 'could not record node.stopped'));
      await checkpointer.stop();
      await forwarder.stop(settings.timeoutMs);
    },
  };
}

/** The audit log a CLI command records into, and the signing of what it recorded. */
export interface CliAudit extends AuditActor {
  /**
   * Signs the chain's head when this command recorded anything, under the head's row lock as a
   * server's checkpointer does: on an admin host no server runs to sign the data directory's
   * chain, and unsigned records could be rewritten without a trace. `kek` must open the
   * checkpoint key as the database holds it now (after `kek rotate`, the new KEK).
   */
  seal(kek: Keyring): Promise<void>;
}

/**
 * The chain of the data directory's node id (`nodeId`: a server on that directory appends to it
 * too), as the operating-system user.
 */
export function cliAudit(deps: Pick<AuditStores, 'chain' | 'keys'> & { nodeId: string }): CliAudit {
  const { chain, keys, nodeId } = deps;
  const log = new AuditLog({ chain, nodeId });
  let recorded = false;
  return {
    recorder: {
      async record(store, event) {
        recorded = true;
        await log.record(store, event);
      },
    },
    actor: cliActor(),
    async seal(kek) {
      if (recorded) await writeCheckpoint(chain, nodeId, await checkpointSigner(keys, kek));
    },
  };
}
