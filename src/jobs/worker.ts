import type { Logger } from 'pino';
import { jobFailure, type Job } from './queue.ts';
import type { JobStore } from './store.ts';

/**
 * Runs one job. A handler that completes the job itself, inside the transaction that records its
 * work (through a store bound to that transaction), returns 'completed'; otherwise the worker completes it.
 */
export type JobHandler = (job: Job, owner: string) => Promise<void | 'completed'>;

export interface WorkerOptions {
  owner: string;
  concurrency: number;
  /** Of `concurrency`, how many jobs of one fairness key may run here at once (keeps room for other keys). */
  concurrencyPerKey: number;
  claimMs: number;
  pollMs: number;
  /** Told when each attempt ends (the node's metrics). */
  report?: JobReport;
}

/** Where a worker reports finished attempts: kind, outcome and how long the handler ran. */
export interface JobReport {
  jobFinished(kind: string, outcome: 'completed' | 'failed', seconds: number): void;
}

/**
 * Runs jobs of the registered kinds on this node: claims when there is capacity, heartbeats each
 * claim while its handler runs, completes or fails it. `kick()` claims at once (after a local
 * enqueue); otherwise it polls, which is how work enqueued by other nodes is found.
 */
export class Worker {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly runningPerKey = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private claiming = false;
  private again = false;

  constructor(
    private readonly queue: JobStore,
    private readonly options: WorkerOptions,
    private readonly log: Logger,
  ) {}

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  async start(): Promise<void> {
    const reclaimed = await this.queue.reclaimOwn(this.options.owner);
    if (reclaimed > 0) this.log.info({ jobs: reclaimed }, 'took back jobs this node was running when it last stopped');
    this.stopped = false;
    this.schedule(0);
  }

  kick(): void {
    if (!this.stopped) this.schedule(0);
  }

  /**
   * Whether a job of `fairKey` claimed at enqueue time would run at once here: a free slot, and
   * its key below its share. Otherwise it is queued and claimed in its fair turn.
   */
  hasCapacity(fairKey?: string): boolean {
    const ofKey = fairKey === undefined ? 0 : (this.runningPerKey.get(fairKey) ?? 0);
    return !this.stopped && this.running.size < this.options.concurrency && ofKey < this.options.concurrencyPerKey;
  }

  /** Runs a job this node claimed when it enqueued it. */
  adopt(job: Job): void {
    if (this.stopped || this.running.has(job.id)) return;
    this.run(job);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    try {
      const free = this.options.concurrency - this.running.size;
      if (free > 0) {
        const { owner, claimMs, concurrencyPerKey } = this.options;
        const jobs = await this.queue.claim(owner, [...this.handlers.keys()], free, claimMs, concurrencyPerKey);
        for (const job of jobs) this.run(job);
        if (jobs.length === free) this.again = true;
      }
    } catch (err) {
      this.log.warn({ err }, 'claiming jobs failed; will retry');
    } finally {
      this.claiming = false;
      if (!this.stopped) this.schedule(this.again ? 0 : this.options.pollMs);
      this.again = false;
    }
  }

  private run(job: Job): void {
    const handler = this.handlers.get(job.kind);
    const key = job.fairKey;
    if (key !== null) this.runningPerKey.set(key, (this.runningPerKey.get(key) ?? 0) + 1);
    const beat = setInterval(() => {
      this.queue.heartbeat(job.id, this.options.owner, this.options.claimMs).catch((err: unknown) => this.log.warn({ err, job: job.id }, 'job heartbeat failed'));
    }, Math.max(250, Math.floor(this.options.claimMs / 3)));
    beat.unref();
    const started = performance.now();
    const done = (async () => {
      try {
        if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
        if ((await handler(job, this.options.owner)) !== 'completed') await this.queue.complete(job.id, this.options.owner);
        this.options.report?.jobFinished(job.kind, 'completed', (performance.now() - started) / 1000);
      } catch (err) {
        this.options.report?.jobFinished(job.kind, 'failed', (performance.now() - started) / 1000);
        this.log.warn({ err, job: job.id, kind: job.kind, attempt: job.attempts }, 'job failed');
        await this.queue.fail(job.id, this.options.owner, jobFailure(job, err instanceof Error ? err.message : String(err))).catch(() => undefined);
      } finally {
        clearInterval(beat);
        this.running.delete(job.id);
        if (key !== null) {
          const left = (this.runningPerKey.get(key) ?? 1) - 1;
          if (left > 0) this.runningPerKey.set(key, left);
          else this.runningPerKey.delete(key);
        }
        this.kick();
      }
    })();
    this.running.set(job.id, done);
  }

  /** Stops claiming, waits for running jobs (up to `timeoutMs`), then hands the claims of the rest back so another node runs them at once. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const all = Promise.allSettled([...this.running.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    for (const id of this.running.keys()) {
      await this.queue.release(id, this.options.owner).catch((err: unknown) => this.log.warn({ err, job: id }, 'could not release a job claim'));
    }
  }
}
