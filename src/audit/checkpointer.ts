import type { Logger } from 'pino';
import { writeCheckpoint } from './checkpoint.ts';
import type { CheckpointSigner } from './checkpoint-key.ts';
import type { AuditChainStore } from './store.ts';

export interface CheckpointerDeps {
  chain: AuditChainStore;
  nodeId: string;
  signer: CheckpointSigner;
  intervalMs: number;
  log: Logger;
}

/**
 * Signs this node's chain head every `intervalMs` when it moved, and once more on stop. Per node
 * rather than a cluster duty: only the node's data directory appends to its chain (the server, and
 * CLI commands, which sign what they record before they exit: cliAudit), so a stopped or
 * partitioned node leaves at most one interval of its records unsigned.
 */
export class AuditCheckpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: CheckpointerDeps) {}

  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setInterval(() => void this.checkpoint(), this.deps.intervalMs);
    this.timer.unref();
  }

  /** Signs the head once any signing in progress is done; failures are logged, never thrown. */
  checkpoint(): Promise<void> {
    this.running = this.running.then(() => this.signOnce());
    return this.running;
  }

  private async signOnce(): Promise<void> {
    try {
      const { chain, nodeId, signer, log } = this.deps;
      const rec = await writeCheckpoint(chain, nodeId, signer);
      if (rec !== undefined) log.debug({ seq: rec.seq }, 'audit chain head signed');
    } catch (err) {
      this.deps.log.warn({ err }, 'could not sign the audit chain head; records since the last checkpoint stay unsigned until the next attempt');
    }
  }

  /** Stops the timer and signs the final head (after `node.stopped`), so a graceful stop leaves nothing unsigned. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.checkpoint();
  }
}
