import type { Logger } from 'pino';
import type { Database } from '../store/db.ts';
import { writeCheckpoint } from './checkpoint.ts';
import type { CheckpointSigner } from './checkpoint-key.ts';

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

  constructor(
    private readonly db: Database,
    private readonly nodeId: string,
    private readonly signer: CheckpointSigner,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setInterval(() => void this.checkpoint(), this.intervalMs);
    this.timer.unref();
  }

  /** Signs the head once any signing in progress is done; failures are logged, never thrown. */
  checkpoint(): Promise<void> {
    this.running = this.running.then(() => this.signOnce());
    return this.running;
  }

  private async signOnce(): Promise<void> {
    try {
      const rec = await writeCheckpoint(this.db, this.nodeId, this.signer);
      if (rec !== undefined) this.log.debug({ seq: rec.seq }, 'audit chain head signed');
    } catch (err) {
      this.log.warn({ err }, 'could not sign the audit chain head; records since the last checkpoint stay unsigned until the next attempt');
    }
  }

  /** Stops the timer and signs the final head (after `node.stopped`), so a graceful stop leaves nothing unsigned. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.checkpoint();
  }
}
