import type { Logger } from 'pino';
import type { AuditSink } from './sinks.ts';
import type { AuditOutboxStore, Claimant, Cursor } from './store.ts';

export interface ForwarderOptions {
  /** This node's id: the owner of its cursor claims. */
  owner: string;
  batchSize: number;
  pollMs: number;
  /** Limit for one batch; claims last twice as long plus 5 s. */
  timeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
}

export interface ForwarderDeps {
  outbox: AuditOutboxStore;
  sinks: readonly AuditSink[];
  options: ForwarderOptions;
  log: Logger;
}

/** Batches one cursor may send before the claim is given back, so other chains and nodes get a turn. */
const BATCHES_PER_CLAIM = 20;

/**
 * Forwards every node's audit records to every sink, at least once. Each node runs one; any node
 * may deliver any chain. A cursor is claimed before its batch is sent, so two nodes do not send
 * the same batch at once; a node that dies mid-batch leaves a claim that lapses, and the batch is
 * sent again by whoever claims next (a duplicate, never a loss). A failing sink backs off
 * (database clock) while its records wait in the table; other sinks are not held up.
 */
export class AuditForwarder {
  private readonly outbox: AuditOutboxStore;
  private readonly sinks: readonly AuditSink[];
  private readonly options: ForwarderOptions;
  private readonly log: Logger;
  private readonly by: Claimant;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private stopping = false;
  /** Set by a final flush: no batch is started after it (epoch ms). */
  private deadline = Number.POSITIVE_INFINITY;

  constructor(deps: ForwarderDeps) {
    ({ outbox: this.outbox, sinks: this.sinks, options: this.options, log: this.log } = deps);
    this.by = { owner: deps.options.owner, claimMs: deps.options.timeoutMs * 2 + 5000 };
  }

  start(): void {
    if (this.sinks.length === 0 || this.started) return;
    this.started = true;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().then(
        (more) => this.schedule(more ? 0 : this.options.pollMs),
        (err: unknown) => {
          this.log.warn({ err }, 'audit forwarding pass failed');
          this.schedule(this.options.pollMs);
        },
      );
    }, ms);
    this.timer.unref();
  }

  /** One pass over every sink; true when some cursor still had records left (run again at once). */
  async runOnce(): Promise<boolean> {
    // Sinks are independent: one that errors (or whose database statement fails) holds up no other.
    const results = await Promise.allSettled(this.sinks.map((sink) => this.forwardSink(sink)));
    for (const [i, r] of results.entries()) {
      if (r.status === 'rejected') this.log.warn({ err: r.reason as unknown, sink: this.sinks[i]?.name }, 'audit forwarding pass failed');
    }
    return results.some((r) => r.status === 'fulfilled' && r.value);
  }

  private async forwardSink(sink: AuditSink): Promise<boolean> {
    await this.outbox.ensureCursors(sink.name);
    let more = false;
    for (const cursor of await this.outbox.due(sink.name, this.by)) {
      if (this.stopping) break;
      if (!(await this.outbox.claim(cursor, this.by))) continue;
      more = (await this.pump(sink, cursor)) || more;
    }
    return more;
  }

  /** Sends batches from a claimed cursor until it is caught up, fails, or had its turn. */
  private async pump(sink: AuditSink, claimed: Cursor): Promise<boolean> {
    let cursor = claimed;
    try {
      for (let n = 0; n < BATCHES_PER_CLAIM && !this.stopping && Date.now() < this.deadline; n += 1) {
        const batch = await this.outbox.batch(cursor, this.options.batchSize);
        const last = batch[batch.length - 1];
        if (!last) return false;
        try {
          await sink.deliver(batch);
        } catch (err) {
          await this.failed(sink, cursor, err);
          return false;
        }
        if (!(await this.outbox.advance(cursor, last.seq, this.by))) return false;
        cursor = { ...cursor, seq: last.seq, attempts: 0 };
        if (batch.length < this.options.batchSize) return false;
      }
      return true;
    } finally {
      await this.outbox.release(cursor, this.by);
    }
  }

  private async failed(sink: AuditSink, cursor: Cursor, err: unknown): Promise<void> {
    const { retryMinMs, retryMaxMs } = this.options;
    const delay = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(cursor.attempts, 30));
    const message = err instanceof Error ? err.message : String(err);
    this.log.warn({ sink: sink.name, node: cursor.nodeId, afterSeq: cursor.seq, attempts: cursor.attempts + 1, retryInMs: delay, error: message }, 'audit sink delivery failed; records wait in the outbox');
    await this.outbox.fail(cursor, this.by, delay, message);
  }

  /**
   * Stops after the batch in flight (bounded by timeoutMs), then, given `flushMs`, makes one last
   * pass that starts no batch after that long (so this node's last records leave with it), gives
   * claims back and closes the sinks. Whatever is left is delivered later by any node.
   */
  async stop(flushMs = 0): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    if (flushMs > 0 && this.sinks.length > 0) {
      this.deadline = Date.now() + flushMs;
      this.stopping = false;
      await this.runOnce().catch((err: unknown) => this.log.warn({ err }, 'final audit forwarding pass failed'));
      this.stopping = true;
    }
    for (const sink of this.sinks) sink.close();
  }
}
