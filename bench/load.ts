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
  /**
   * Open loop: start orders at this many per second whatever the answers, `concurrency` then only
   * caps orders in flight (a start that finds the cap full waits and is counted late). Latency is
   * measured from each order's scheduled start, so a server that falls behind is not flattered.
   */
  readonly rate?: number;
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
  /** Orders that failed because a request got no HTTP answer (client timeout or connection error). */
  readonly unanswered: number;
  /** Open loop only: starts that waited for a free slot under the in-flight cap. */
  readonly lateStarts: number;
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
  if (/timed out/.test(message)) return 'client:timeout';
  if (/still \w+ after/.test(message)) return 'client:poll-timeout';
  return 'client:error';
}

/** Kinds meaning a request got no answer: the client's timeout, or a socket error code. */
const unansweredKind = (kind: string): boolean => kind === 'client:timeout' || /^client:E[A-Z]+$/.test(kind);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Counts one order's outcome; shared by the closed and the open loop. */
class Tally {
  readonly latencies: number[] = [];
  readonly errors: Record<string, number> = {};
  readonly errorExamples: Record<string, string> = {};

  async order(client: AcmeClient, opts: LoadOptions, n: number, t0: number): Promise<void> {
    try {
      await client.issue({ identifiers: [opts.name(n)], challengeType: 'http-01', solver: opts.solver });
      this.latencies.push(performance.now() - t0);
    } catch (err) {
      const kind = errorKind(err);
      this.errors[kind] = (this.errors[kind] ?? 0) + 1;
      this.errorExamples[kind] ??= err instanceof Error ? err.message : String(err);
    }
  }
}

interface LoopOutcome { started: number; stoppedBy: 'count' | 'time'; lateStarts: number }

/** `concurrency` workers sharing one counter: each starts its next order when the last ends. */
async function closedLoop(clients: readonly AcmeClient[], opts: LoadOptions, tally: Tally, deadline: number): Promise<LoopOutcome> {
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
      await tally.order(clients[n % clients.length] as AcmeClient, opts, n, performance.now());
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.orders) }, () => worker()));
  return { started: next, stoppedBy, lateStarts: 0 };
}

/** Order `n` is due at start + n / rate; at most `concurrency` in flight. */
async function openLoop(clients: readonly AcmeClient[], opts: LoadOptions & { rate: number }, tally: Tally, start: number, deadline: number): Promise<LoopOutcome> {
  const inFlight = new Set<Promise<void>>();
  let lateStarts = 0;
  let n = 0;
  for (; n < opts.orders; n += 1) {
    const due = start + (n * 1000) / opts.rate;
    if (due >= deadline) break;
    await sleep(due - performance.now());
    if (inFlight.size >= opts.concurrency) {
      lateStarts += 1;
      while (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
    }
    const p: Promise<void> = tally.order(clients[n % clients.length] as AcmeClient, opts, n, due).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { started: n, stoppedBy: n < opts.orders ? 'time' : 'count', lateStarts };
}

/**
 * Complete orders (newOrder, authorization, challenge, poll, finalize, poll, download) until
 * `orders` have started or `maxSeconds` have passed, whichever comes first: closed loop by
 * default, open loop with `rate`. Order `n` uses account `n mod accounts`.
 */
export async function runLoad(clients: readonly AcmeClient[], opts: LoadOptions): Promise<LoadResult> {
  if (clients.length === 0) throw new Error('no accounts');
  const tally = new Tally();
  const start = performance.now();
  const deadline = start + opts.maxSeconds * 1000;
  const { rate } = opts;
  const loop = rate === undefined ? await closedLoop(clients, opts, tally, deadline) : await openLoop(clients, { ...opts, rate }, tally, start, deadline);
  const elapsedSeconds = (performance.now() - start) / 1000;
  const completed = tally.latencies.length;
  return {
    started: loop.started,
    completed,
    failed: loop.started - completed,
    errors: tally.errors,
    errorExamples: tally.errorExamples,
    elapsedSeconds,
    ordersPerSecond: elapsedSeconds > 0 ? completed / elapsedSeconds : 0,
    latencyMs: summarize(tally.latencies),
    stoppedBy: loop.stoppedBy,
    unanswered: Object.entries(tally.errors).reduce((sum, [kind, count]) => sum + (unansweredKind(kind) ? count : 0), 0),
    lateStarts: loop.lateStarts,
  };
}
