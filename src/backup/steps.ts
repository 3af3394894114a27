import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

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

function getOnce(url: string, caPem: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('error', reject)
        .on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject).end();
  });
}

/** Polls `/readyz` over HTTPS, trusting only `caPem`, until it answers 200 or `timeoutMs` passes. */
export async function readiness(url: string, caPem: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await getOnce(url, caPem);
      if (res.status === 200) return `${url} answered 200 over TLS from the restored CA`;
      last = `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms (${last})`);
}
