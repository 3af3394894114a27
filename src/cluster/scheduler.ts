import type { Logger } from 'pino';
import type { JobQueue } from '../jobs/queue.ts';
import type { Database } from '../store/db.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
import { FencedError, type Lease, type LeaseStore } from './leases.ts';

/** A periodic duty: enqueued as a job of `kind` once per period, cluster-wide. */
export interface Duty {
  name: string;
  periodMs: number;
}

export const DUTY_JOB = 'duty';
const TICK_MS = 1000;

/**
 * Runs on every node; acts only on the node holding the scheduler lease. Each tick, in one
 * transaction fenced by the lease token, it advances every due schedule and enqueues its job with
 * an idempotency key naming the period, so each period is enqueued exactly once even across a
 * change of holder. The jobs themselves run on any node's worker.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly leases: LeaseStore,
    private readonly keeper: LeaseKeeper,
    private readonly jobs: JobQueue,
    private readonly holder: string,
    private readonly duties: readonly Duty[],
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const d of this.duties) {
      await this.db.exec(`INSERT INTO schedules (name, next_run_at, last_token) VALUES (?, ${this.db.dialect.nowMs}, 0) ON CONFLICT (name) DO NOTHING`, [d.name]);
    }
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    const lease = this.keeper.current();
    if (!lease) return;
    try {
      await this.runDue(lease);
    } catch (err) {
      if (err instanceof FencedError) this.keeper.fencedOut();
      else this.log.warn({ err }, 'scheduler tick failed; will retry');
    }
  }

  /** Enqueues every due duty under `lease`; returns the names enqueued. Throws FencedError when the lease moved. */
  async runDue(lease: Lease): Promise<string[]> {
    const now = this.db.dialect.nowMs;
    return this.db.transaction(async (tx) => {
      await this.leases.fence(tx, lease, this.holder);
      const due = await tx.query<{ name: string; next_run_at: number }>(`SELECT name, next_run_at FROM schedules WHERE next_run_at <= ${now}`);
      const enqueued: string[] = [];
      for (const row of due) {
        const duty = this.duties.find((d) => d.name === row.name);
        if (!duty) continue;
        const slot = Number(row.next_run_at);
        await tx.exec(`UPDATE schedules SET next_run_at = ${now} + ?, last_token = ?, last_node = ? WHERE name = ? AND next_run_at = ?`, [
          duty.periodMs, lease.token, this.holder, duty.name, slot,
        ]);
        await this.jobs.enqueue(tx, DUTY_JOB, { duty: duty.name, slot }, { idempotencyKey: `duty:${duty.name}:${slot}`, maxAttempts: 3 });
        enqueued.push(duty.name);
      }
      return enqueued;
    });
  }
}
