import type { Logger } from 'pino';
import type { Lease } from './leases.ts';
import type { LeaseStore } from './store.ts';

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

export interface LeaseKeeperDeps extends LeaseKeeperOptions {
  store: LeaseStore;
  /** Shared with /healthz, which reports the refusals. */
  fencing: FencingStats;
  log: Logger;
}

/**
 * The timings behind one lease TTL, chosen so that the TTL is the promise: when the holder dies or
 * is paused, another node holds the lease and runs the duties within one TTL.
 * - The lease row is valid for two thirds of the TTL after each renewal (`validityMs`).
 * - The holder renews four times per validity, so a renewal or two can fail without losing it, and
 *   trusts it only until `validityMs − trustMarginMs` after the last success (monotonic clock).
 * - Other nodes try to take it every second (a fifteenth of the TTL when that is shorter), so a
 *   lapsed lease is taken at most a second after it lapses; the new holder's scheduler enqueues
 *   every overdue duty on its next one-second tick.
 * Worst case with the default 15 s: lapse 10 s after the last renewal, taken by 11 s, duties
 * enqueued by 12 s. Measured by `certainty drill lease-pause` (docs/ha.md).
 */
export function leaseTimings(ttlMs: number): { validityMs: number; renewEveryMs: number; acquireEveryMs: number; trustMs: number } {
  const validityMs = Math.floor((ttlMs * 2) / 3);
  return {
    validityMs,
    renewEveryMs: Math.max(200, Math.floor(validityMs / 4)),
    acquireEveryMs: Math.max(200, Math.min(1_000, Math.floor(ttlMs / 15))),
    trustMs: validityMs - Math.min(1_000, Math.floor(validityMs / 2)),
  };
}

/**
 * Holds one named lease for this node: tries to take it when free, renews it while held, and gives
 * it up (stopping its duties) when a renewal is refused or the database cannot be reached in time.
 * A node that was paused never acts on a lease that may have moved: it trusts the lease only for
 * `trustMs` after its last successful renewal, on this process's monotonic clock.
 */
export class LeaseKeeper {
  private lease: Lease | undefined;
  private renewedAt = 0;
  private readonly timings: ReturnType<typeof leaseTimings>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: LeaseKeeperDeps) {
    this.timings = leaseTimings(deps.ttlMs);
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** The lease, while it can be trusted; undefined otherwise. */
  current(): Lease | undefined {
    if (!this.lease) return undefined;
    return performance.now() - this.renewedAt < this.timings.trustMs ? this.lease : undefined;
  }

  /** A write under the lease was refused: the lease is gone. */
  fencedOut(): void {
    this.deps.fencing.rejected += 1;
    this.lose('a write under the lease was refused by its fencing token');
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = performance.now();
    try {
      if (this.lease) {
        // Renewal is itself a fenced write: after a pause it is refused if someone took over.
        if (await this.deps.store.renew(this.lease, this.deps.holder, this.timings.validityMs)) this.renewedAt = started;
        else this.fencedOut();
      } else {
        const lease = await this.deps.store.acquire(this.deps.name, this.deps.holder, this.timings.validityMs);
        if (lease) {
          this.lease = lease;
          this.renewedAt = started;
          this.deps.log.info({ lease: lease.name, token: lease.token }, 'lease acquired');
          this.deps.onAcquired?.(lease);
        }
      }
    } catch (err) {
      this.deps.log.warn({ err, lease: this.deps.name }, 'lease renewal failed');
      if (this.lease && performance.now() - this.renewedAt >= this.timings.trustMs) this.lose('could not renew before the lease ran out');
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.lease ? this.timings.renewEveryMs : this.timings.acquireEveryMs);
      this.timer.unref();
    }
  }

  private lose(why: string): void {
    const lost = this.lease;
    if (!lost) return;
    this.lease = undefined;
    this.deps.log.warn({ lease: lost.name, token: lost.token, why }, 'lease lost');
    this.deps.onLost?.(lost, why);
  }

  /** Stops renewing and releases the lease so another node can take it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const held = this.lease;
    this.lease = undefined;
    if (held) await this.deps.store.release(held, this.deps.holder).catch((err: unknown) => this.deps.log.warn({ err }, 'lease release failed'));
  }
}
