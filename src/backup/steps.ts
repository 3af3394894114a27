import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from '../http-client.ts';

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
