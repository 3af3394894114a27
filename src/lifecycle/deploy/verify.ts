/**
 * Closed-loop verification: after a deploy, connect to the target's TLS endpoint with SNI and
 * call the deploy verified only when the leaf it serves is the new one. Targets take a moment
 * to pick a certificate up (nginx workers finish their graceful reload, a load balancer
 * drains), so the comparison is retried with backoff inside the call, a bounded number of times.
 */
import { certSha256Hex } from '../../ca/pem.ts';
import { fetchServedChain, type TlsEndpoint } from '../probe/tls-connect.ts';

export interface VerifyOptions {
  /** Tries in all; default 5. */
  readonly attempts?: number | undefined;
  /** Wait before the second try, doubled after each (at most 8×); default 1000 ms. */
  readonly delayMs?: number | undefined;
  /** Per handshake; default 5 s. */
  readonly timeoutMs?: number | undefined;
  /** PEM trust anchors for the separate chain verdict; default the system's. */
  readonly trust?: string | undefined;
  /** Injected for tests; default a real timer. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

export interface VerifyOutcome {
  /** The endpoint served the expected leaf. */
  readonly verified: boolean;
  readonly attempts: number;
  /** What it served last, or null when no handshake succeeded. */
  readonly servedFingerprint256: string | null;
  /** Whether that chain leads to the trust anchors; reported, not required for `verified`. */
  readonly chainValid: boolean | null;
  readonly chainError: string | null;
  /** Plain words for operators. */
  readonly detail: string;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Compares the served leaf with `expectedFingerprint256` (hex, colons and case ignored) until it matches or the tries run out. */
export async function verifyServed(endpoint: TlsEndpoint, expectedFingerprint256: string, opts: VerifyOptions = {}): Promise<VerifyOutcome> {
  const expected = expectedFingerprint256.toLowerCase().replace(/:/g, '');
  const attempts = Math.max(1, opts.attempts ?? 5);
  const delayMs = opts.delayMs ?? 1_000;
  const sleep = opts.sleep ?? realSleep;
  const where = `${endpoint.servername === undefined ? '' : `${endpoint.servername} at `}${endpoint.host}:${endpoint.port}`;
  let last: Omit<VerifyOutcome, 'verified' | 'attempts' | 'detail'> = { servedFingerprint256: null, chainValid: null, chainError: null };
  let lastProblem = '';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) await sleep(Math.min(delayMs * 2 ** (attempt - 2), delayMs * 8));
    try {
      const chain = await fetchServedChain(endpoint, { trust: opts.trust, timeoutMs: opts.timeoutMs });
      const served = certSha256Hex(new Uint8Array(chain.leaf.raw));
      last = { servedFingerprint256: served, chainValid: chain.chainValid, chainError: chain.chainError };
      if (served === expected) {
        return { verified: true, attempts: attempt, ...last, detail: `${where} serves the new certificate${chainNote(chain.chainValid, chain.chainError)}` };
      }
      lastProblem = `still serves another certificate (SHA-256 ${served.slice(0, 16)}…)`;
    } catch (err) {
      lastProblem = (err as Error).message;
    }
  }
  return { verified: false, attempts, ...last, detail: `${where} does not serve the new certificate after ${attempts} tries: ${lastProblem}` };
}

function chainNote(valid: boolean | null, error: string | null): string {
  return valid === false ? ` (its chain does not verify: ${error ?? 'not trusted'})` : '';
}
