import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from '../http-client.ts';

/** Where a long backup or restore says how far it is: `done` of `total` steps, the next one named `step`. */
export type OnProgress = (step: string, done: number, total?: number) => void;

/** Reports each of `steps` as it starts, and the end as all of them done. */
export function stepProgress<S extends string>(steps: readonly S[], onProgress: OnProgress | undefined): { start(step: S): void; finish(): void } {
  return {
    start: (step) => onProgress?.(step, steps.indexOf(step), steps.length),
    finish: () => onProgress?.('done', steps.length, steps.length),
  };
}

/** One line of a DR test report. */
export interface StepReport {
  name: string;
  status: 'pass' | 'fail' | 'skipped';
  ms: number;
  detail: string;
}

/** Runs named steps in order, timing each; after a failure the remaining steps are skipped. */
export class StepRunner {
  readonly reports: StepReport[] = [];
  private failed = false;

  get ok(): boolean {
    return !this.failed;
  }

  async run(name: string, fn: () => Promise<string>): Promise<void> {
    if (this.failed) {
      this.reports.push({ name, status: 'skipped', ms: 0, detail: 'not run: an earlier step failed' });
      return;
    }
    await this.always(name, fn);
  }

  /** Runs whether or not an earlier step failed (cleanup). */
  async always(name: string, fn: () => Promise<string>): Promise<void> {
    const started = performance.now();
    try {
      const detail = await fn();
      this.reports.push({ name, status: 'pass', ms: elapsed(started), detail });
    } catch (err) {
      this.failed = true;
      this.reports.push({ name, status: 'fail', ms: elapsed(started), detail: err instanceof Error ? err.message : String(err) });
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

/** Polls `/readyz` over HTTPS, trusting only `caPem`, until it answers 200 or `timeoutMs` passes. */
export async function readiness(url: string, caPem: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await httpRequest(url, { ca: caPem, timeoutMs: 5_000 });
      if (res.status === 200) return `${url} answered 200 over TLS from the restored CA`;
      last = `HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms (${last})`);
}
