import { AcmeError, type AcmeClient, type ChallengeSolver } from '../src/acme-client/client.ts';
import { percentile } from '../src/lab/load.ts';

export interface LoadOptions {
  /** Upper bound on orders started. */
  readonly orders: number;
  /** Orders in flight at once. */
  readonly concurrency: number;
  /** No order is started after this; orders in flight finish (each request and poll is bounded). */
  readonly maxSeconds: number;
  /** The DNS name of order number `n`. */
  readonly name: (n: number) => string;
  readonly solver: ChallengeSolver;
}

interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  /** Failed orders by ACME problem type, or by client-side cause. */
  readonly errors: Record<string, number>;
  /** One message per error kind, to tell what went wrong. */
  readonly errorExamples: Record<string, string>;
  readonly elapsedSeconds: number;
  readonly ordersPerSecond: number;
  /** Milliseconds from newOrder to the downloaded chain, completed orders only. */
  readonly latencyMs: LatencySummary;
  readonly stoppedBy: 'count' | 'time';
}

function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** A stable label for a failure: the ACME problem type, else a client-side cause. */
function errorKind(err: unknown): string {
  if (err instanceof AcmeError) return err.type.replace('urn:ietf:params:acme:error:', '');
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return `client:${code}`;
  const message = err instanceof Error ? err.message : String(err);
  if (/timed out|still \w+ after/.test(message)) return 'client:timeout';
  return 'client:error';
}

/**
 * Complete orders (newOrder, authorization, challenge, poll, finalize, poll, download) from
 * `concurrency` workers sharing one counter, so the load stops at `orders` or `maxSeconds`,
 * whichever comes first. Order `n` uses account `n mod accounts`.
 */
export async function runLoad(clients: readonly AcmeClient[], opts: LoadOptions): Promise<LoadResult> {
  if (clients.length === 0) throw new Error('no accounts');
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const errorExamples: Record<string, string> = {};
  const start = performance.now();
  const deadline = start + opts.maxSeconds * 1000;
  let next = 0;
  let stoppedBy: 'count' | 'time' = 'count';
  const worker = async (): Promise<void> => {
    for (;;) {
      if (next >= opts.orders) return;
      if (performance.now() >= deadline) {
        stoppedBy = 'time';
        return;
      }
      const n = next++;
      const client = clients[n % clients.length] as AcmeClient;
      const t0 = performance.now();
      try {
        await client.issue({ identifiers: [opts.name(n)], challengeType: 'http-01', solver: opts.solver });
        latencies.push(performance.now() - t0);
      } catch (err) {
        const kind = errorKind(err);
        errors[kind] = (errors[kind] ?? 0) + 1;
        errorExamples[kind] ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.orders) }, () => worker()));
  const elapsedSeconds = (performance.now() - start) / 1000;
  return {
    started: next,
    completed: latencies.length,
    failed: next - latencies.length,
    errors,
    errorExamples,
    elapsedSeconds,
    ordersPerSecond: elapsedSeconds > 0 ? latencies.length / elapsedSeconds : 0,
    latencyMs: summarize(latencies),
    stoppedBy,
  };
}
