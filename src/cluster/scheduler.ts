import type { Logger } from 'pino';
import { DUTY_JOB, type Duty } from './duties.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
import { FencedError, type Lease } from './leases.ts';
import type { ScheduleStore } from './store.ts';

const TICK_MS = 1000;

export interface SchedulerDeps {
  store: ScheduleStore;
  /** The scheduler lease as this node holds it. */
  keeper: Pick<LeaseKeeper, 'current' | 'fencedOut'>;
  /** This node's id (the lease holder it writes as). */
  holder: string;
  duties: readonly Duty[];
  log: Logger;
}

/**
 * Runs on every node; acts only on the node holding the scheduler lease. Each tick, in one
 * transaction fenced by the lease token, it advances every due schedule and enqueues its job with
 * an idempotency key naming the period, so each period is enqueued exactly once even across a
 * change of holder. The jobs themselves run on any node's worker.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  async start(): Promise<void> {
    await this.deps.store.addSchedules(this.deps.duties.map((d) => d.name));
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    const lease = this.deps.keeper.current();
    if (!lease) return;
    try {
      await this.runDue(lease);
    } catch (err) {
      if (err instanceof FencedError) this.deps.keeper.fencedOut();
      else this.deps.log.warn({ err }, 'scheduler tick failed; will retry');
    }
  }

  /** Enqueues every due duty under `lease`; returns the names enqueued. Throws FencedError when the lease moved. */
  runDue(lease: Lease): Promise<string[]> {
    const { holder, duties } = this.deps;
    return this.deps.store.transaction(async (s) => {
      if (!(await s.fence(lease, holder))) throw new FencedError(lease);
      const enqueued: string[] = [];
      for (const { name, slot } of await s.due()) {
        const duty = duties.find((d) => d.name === name);
        if (!duty) continue;
        await s.advance({ name, slot, periodMs: duty.periodMs, token: lease.token, holder });
        await s.enqueueJob(DUTY_JOB, { duty: name, slot }, { idempotencyKey: `duty:${name}:${slot}`, maxAttempts: 3 });
        enqueued.push(name);
      }
      return enqueued;
    });
  }
}
