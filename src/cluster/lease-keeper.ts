import type { Logger } from 'pino';
import type { Lease, LeaseStore } from './leases.ts';

export interface LeaseKeeperOptions {
  name: string;
  holder: string;
  ttlMs: number;
  /** Called when the lease is taken (with its token) and when it is lost. */
  onAcquired?: (lease: Lease) => void;
  onLost?: (lease: Lease, why: string) => void;
}

/** Counts of writes the database refused because their fencing token was stale. */
export interface FencingStats {
  rejected: number;
}

/**
 * Holds one named lease for this node: tries to take it when free, renews it every third of the
 * TTL, and gives it up (stopping its duties) when a renewal is refused or the database cannot be
 * reached in time. The lease is trusted only until TTL − 1 s after the last successful renewal,
 * measured on this process's monotonic clock, so a node that was paused never acts on a lease
 * that may have moved.
 */
export class LeaseKeeper {
  private lease: Lease | undefined;
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: LeaseStore,
    private readonly options: LeaseKeeperOptions,
    private readonly fencing: FencingStats,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** The lease, while it can be trusted; undefined otherwise. */
  current(): Lease | undefined {
    if (!this.lease) return undefined;
    return performance.now() - this.renewedAt < this.options.ttlMs - 1000 ? this.lease : undefined;
  }

  /** A write under the lease was refused: the lease is gone. */
  fencedOut(): void {
    this.fencing.rejected += 1;
    this.lose('a write under the lease was refused by its fencing token');
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = performance.now();
    try {
      if (this.lease) {
        // Renewal is itself a fenced write: after a pause it is refused if someone took over.
        if (await this.store.renew(this.lease, this.options.holder, this.options.ttlMs)) this.renewedAt = started;
        else this.fencedOut();
      } else {
        const lease = await this.store.acquire(this.options.name, this.options.holder, this.options.ttlMs);
        if (lease) {
          this.lease = lease;
          this.renewedAt = started;
          this.log.info({ lease: lease.name, token: lease.token }, 'lease acquired');
          this.options.onAcquired?.(lease);
        }
      }
    } catch (err) {
      this.log.warn({ err, lease: this.options.name }, 'lease renewal failed');
      if (this.lease && performance.now() - this.renewedAt >= this.options.ttlMs - 1000) this.lose('could not renew before the TTL ran out');
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), Math.max(200, Math.floor(this.options.ttlMs / 3)));
      this.timer.unref();
    }
  }

  private lose(why: string): void {
    const lost = this.lease;
    if (!lost) return;
    this.lease = undefined;
    this.log.warn({ lease: lost.name, token: lost.token, why }, 'lease lost');
    this.options.onLost?.(lost, why);
  }

  /** Stops renewing and releases the lease so another node can take it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const held = this.lease;
    this.lease = undefined;
    if (held) await this.store.release(held, this.options.holder).catch((err: unknown) => this.log.warn({ err }, 'lease release failed'));
  }
}
