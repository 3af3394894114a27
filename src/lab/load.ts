// Order load for the drills and the cluster tests: complete ACME orders from several accounts through the front,
// with every HTTP answer counted (status, problem type, which node answered) and every failed
// order kept with its URL, so a test can finish it afterwards the way a client's retry would.
import { setTimeout as sleep } from 'node:timers/promises';
import { AcmeClient, AcmeError, AcmeTransport, createCsr, type AcmeOrder, type ChallengeSolver, type PollOptions } from '../acme-client/client.ts';
import type { AcmeResponse, TransportOptions } from '../acme-client/client.ts';
/** Set by the lab's (and the tests') HAProxy front on every answer: the server that produced it. */
export const BACKEND_HEADER = 'x-certainty-backend';

/** A request that got no usable answer: a network error, or a 5xx. */
interface FailedRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  /** `network: <message>` or `HTTP <status>`. */
  readonly what: string;
  readonly backend: string | undefined;
}

export interface RequestStats {
  requests: number;
  byStatus: Record<string, number>;
  /** ACME problem types, without the `urn:ietf:params:acme:error:` prefix. */
  byProblem: Record<string, number>;
  /** Answers per HAProxy server (the `x-certainty-backend` header). */
  byBackend: Record<string, number>;
  failed: FailedRequest[];
  /** Answers that took longer than a second, by path kind (`chall`, `order`...). */
  slow: Record<string, number>;
}

const ACME_ERROR = 'urn:ietf:params:acme:error:';

/** AcmeTransport that counts every request it sends and every answer it gets. */
export class CountingTransport extends AcmeTransport {
  readonly stats: RequestStats = { requests: 0, byStatus: {}, byProblem: {}, byBackend: {}, failed: [], slow: {} };
  /** Called after every request with whether it failed (network error or 5xx) and its method: the drills' timeline. */
  onAnswer: ((failed: boolean, method: string) => void) | undefined;

  constructor(opts: TransportOptions) {
    super(opts);
  }

  override async request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<AcmeResponse> {
    const s = this.stats;
    s.requests += 1;
    const path = new URL(url).pathname;
    const t0 = Date.now();
    let r: AcmeResponse;
    try {
      r = await super.request(method, url, body, headers);
    } catch (err) {
      s.failed.push({ at: Date.now(), method, path, what: `network: ${(err as Error).message}`, backend: undefined });
      this.onAnswer?.(true, method);
      throw err;
    }
    const backend = typeof r.headers[BACKEND_HEADER] === 'string' ? r.headers[BACKEND_HEADER] : undefined;
    s.byStatus[r.status] = (s.byStatus[r.status] ?? 0) + 1;
    if (Date.now() - t0 > 1_000) {
      const kind = `${method} ${path.split('/')[2] ?? path}`;
      s.slow[kind] = (s.slow[kind] ?? 0) + 1;
    }
    if (backend !== undefined) s.byBackend[backend] = (s.byBackend[backend] ?? 0) + 1;
    const type: unknown = r.body?.type;
    if (r.status >= 400 && typeof type === 'string') {
      const short = type.replace(ACME_ERROR, '');
      s.byProblem[short] = (s.byProblem[short] ?? 0) + 1;
    }
    if (r.status >= 500) s.failed.push({ at: Date.now(), method, path, what: `HTTP ${r.status}`, backend });
    this.onAnswer?.(r.status >= 500, method);
    return r;
  }
}

export const POLL: PollOptions = { minIntervalMs: 50, maxIntervalMs: 500, maxRetryAfterMs: 500, timeoutMs: 60_000 };

/** `count` accounts on one transport, created `parallel` at a time. */
export async function createAccounts(transport: AcmeTransport, count: number, parallel = 4): Promise<AcmeClient[]> {
  const clients = Array.from({ length: count }, () => new AcmeClient(transport, undefined, POLL));
  for (let i = 0; i < count; i += parallel) await Promise.all(clients.slice(i, i + parallel).map((c) => c.createAccount()));
  return clients;
}

async function authorize(client: AcmeClient, url: string, solver: ChallengeSolver): Promise<void> {
  const authz = await client.getAuthorization(url);
  if (authz.status === 'valid') return;
  const challenge = (authz.challenges as Array<{ type: string; url: string; token: string; status: string }>).find((c) => c.type === 'http-01');
  if (!challenge) throw new Error(`${url}: no http-01 challenge`);
  const ka = await client.keyAuthorization(challenge.token);
  await solver.present('http-01', authz.identifier, challenge.token, ka);
  // A challenge already `processing` was accepted by an earlier attempt: only wait for it.
  if (challenge.status === 'pending') await client.respondChallenge(challenge.url);
  await client.poll(url, ['valid']);
}

/**
 * Takes an order from whatever state it is in to a downloaded certificate: the same steps a
 * client retrying after an error would take (RFC 8555 §7.1.6: pending → ready → processing → valid).
 */
async function finishOrder(client: AcmeClient, orderUrl: string, solver: ChallengeSolver): Promise<string> {
  let order: AcmeOrder = { ...(await client.signedPost(orderUrl, '')).body, url: orderUrl };
  if (order.status === 'pending') {
    await Promise.all(order.authorizations.map((u) => authorize(client, u, solver)));
    order = await client.poll(orderUrl, ['ready', 'valid']);
  }
  if (order.status === 'ready') {
    const { der } = await createCsr(order.identifiers);
    order = await client.finalize(order, der).catch(async (err: unknown) => {
      // A finalize that raced an earlier attempt: the order moved on, read it again.
      if (err instanceof AcmeError && err.type === `${ACME_ERROR}orderNotReady`) return client.poll(orderUrl, ['processing', 'valid']);
      throw err;
    });
  }
  if (order.status !== 'valid') order = await client.poll(orderUrl, ['valid']);
  if (order.certificate === undefined) throw new Error(`${orderUrl}: valid without a certificate URL`);
  return client.downloadCertificate(order.certificate);
}

export interface OrderFailure {
  readonly name: string;
  /** Known when newOrder answered. */
  readonly url: string | undefined;
  readonly client: AcmeClient;
  readonly at: number;
  readonly error: string;
}

export interface LoadOptions {
  readonly clients: readonly AcmeClient[];
  readonly solver: ChallengeSolver;
  readonly concurrency: number;
  /** Upper bound on orders started. */
  readonly maxOrders: number;
  /** No order starts after this many seconds. */
  readonly maxSeconds: number;
  /** Checked before each order: true stops the load early (the scenario is over). */
  readonly stop?: () => boolean;
  readonly name: (n: number) => string;
  /** Called when an order completes (true) or fails (false). */
  readonly onOrder?: (ok: boolean) => void;
  /**
   * After a failed order a worker waits `minMs`, doubling on each failure in a row up to `maxMs`,
   * as a client does; without it a worker facing an outage fails orders as fast as it can send.
   */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

/** A certificate chain a client downloaded, with the order it came from. */
interface Received {
  readonly url: string;
  readonly chainPem: string;
}

export interface LoadResult {
  started: number;
  completed: number;
  /** Order URLs that reached `valid` with a downloaded chain. */
  completedUrls: string[];
  /** Every chain downloaded, by order. */
  received: Received[];
  failures: OrderFailure[];
  latenciesMs: number[];
  elapsedSeconds: number;
}

/** Runs complete orders from `concurrency` workers until `maxOrders`, `maxSeconds` or `stop()`. */
export async function runOrders(opts: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { started: 0, completed: 0, completedUrls: [], received: [], failures: [], latenciesMs: [], elapsedSeconds: 0 };
  const t0 = Date.now();
  const deadline = t0 + opts.maxSeconds * 1000;
  const worker = async (): Promise<void> => {
    let failuresInARow = 0;
    while (result.started < opts.maxOrders && Date.now() < deadline && opts.stop?.() !== true) {
      if (failuresInARow > 0 && opts.backoff !== undefined) {
        await sleep(Math.min(opts.backoff.maxMs, opts.backoff.minMs * 2 ** (failuresInARow - 1)));
        if (opts.stop?.() === true) break;
      }
      const n = result.started++;
      const client = opts.clients[n % opts.clients.length] as AcmeClient;
      const name = opts.name(n);
      let url: string | undefined;
      const started = Date.now();
      try {
        url = (await client.newOrder([name])).url;
        const chainPem = await finishOrder(client, url, opts.solver);
        result.completed += 1;
        result.completedUrls.push(url);
        result.received.push({ url, chainPem });
        result.latenciesMs.push(Date.now() - started);
        failuresInARow = 0;
        opts.onOrder?.(true);
      } catch (err) {
        result.failures.push({ name, url, client, at: Date.now(), error: err instanceof Error ? err.message : String(err) });
        failuresInARow += 1;
        opts.onOrder?.(false);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  result.elapsedSeconds = (Date.now() - t0) / 1000;
  return result;
}

/** Retries each failed order as a client would: finish it when it exists, else order again. */
export async function retryFailures(failures: readonly OrderFailure[], solver: ChallengeSolver, parallel = 8): Promise<RetryOutcome[]> {
  const retry = async (f: OrderFailure): Promise<RetryOutcome> => {
    let url = f.url;
    try {
      url ??= (await f.client.newOrder([f.name])).url;
      return { name: f.name, url, chainPem: await finishOrder(f.client, url, solver) };
    } catch (err) {
      return { name: f.name, url, error: err instanceof Error ? err.message : String(err) };
    }
  };
  const outcomes: RetryOutcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < failures.length) {
      const f = failures[next++] as OrderFailure;
      outcomes.push(await retry(f));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, failures.length) }, () => worker()));
  return outcomes;
}

/** One retried order: its chain when the retry finished it, else the error. */
export interface RetryOutcome {
  readonly name: string;
  readonly url: string | undefined;
  readonly chainPem?: string;
  readonly error?: string;
}

/** p-th percentile (nearest rank) of `values`, in any order. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
}

/** One line for the test log. */
export function describeLoad(label: string, r: LoadResult, s: RequestStats): string {
  return `${label}: ${r.completed}/${r.started} orders in ${r.elapsedSeconds.toFixed(1)} s ` +
    `(${(r.completed / Math.max(r.elapsedSeconds, 0.001)).toFixed(1)}/s, p50 ${percentile(r.latenciesMs, 50)} ms, p99 ${percentile(r.latenciesMs, 99)} ms), ` +
    `${r.failures.length} failed orders; ${s.requests} requests, failed ${s.failed.length}, statuses ${JSON.stringify(s.byStatus)}, ` +
    `problems ${JSON.stringify(s.byProblem)}, backends ${JSON.stringify(s.byBackend)}, over 1 s ${JSON.stringify(s.slow)}`;
}
