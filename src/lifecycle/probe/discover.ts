/**
 * Discovery: probe every address of a few ranges on the named ports and keep what serves TLS,
 * whoever issued it. Ranges are bounded (an operator asking for a /8 gets a clear refusal, not
 * a 16-million-connection scan) and probes run a few at a time.
 */
import { AppError } from '../../errors.ts';
import { ipFromBytes, ipToBytes, parseCidr } from '../../ca/ip.ts';
import { probeEndpoint, type ProbeResult } from './probe.ts';
import type { TlsEndpoint } from './tls-connect.ts';

export interface DiscoverOptions {
  readonly now: number;
  readonly trust?: string | undefined;
  /** Per handshake; default 2 s. */
  readonly timeoutMs?: number | undefined;
  /** Probes in flight at once; default 16. */
  readonly concurrency?: number | undefined;
  /** Most endpoints one call may expand to; default 4096. */
  readonly maxEndpoints?: number | undefined;
}

/**
 * Probes each target and returns the results of those that served a certificate, in target
 * order. A target is `host:port`, `address:port`, `[v6]:port`, or a range `10.0.0.0/30:443`
 * (`[fd00::/126]:443`); a range covers every address in it, network and broadcast included.
 */
export async function discover(targets: readonly string[], opts: DiscoverOptions): Promise<ProbeResult[]> {
  const endpoints = expandTargets(targets, opts.maxEndpoints ?? 4096);
  const results: Array<ProbeResult | undefined> = new Array(endpoints.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < endpoints.length) {
      const i = next;
      next += 1;
      results[i] = await probeEndpoint(endpoints[i] as TlsEndpoint, { now: opts.now, trust: opts.trust, timeoutMs: opts.timeoutMs ?? 2_000 });
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency ?? 16, endpoints.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results.filter((r): r is ProbeResult => r !== undefined && r.served !== null);
}

/** Every endpoint the targets name, or a `malformed` AppError naming the first bad one. */
export function expandTargets(targets: readonly string[], maxEndpoints: number): TlsEndpoint[] {
  const out: TlsEndpoint[] = [];
  for (const target of targets) {
    const { host, port } = splitTarget(target);
    const hosts = host.includes('/') ? rangeAddresses(host, target, maxEndpoints - out.length, maxEndpoints) : [host];
    for (const h of hosts) out.push({ host: h, port });
    if (out.length > maxEndpoints) throw tooMany(target, maxEndpoints);
  }
  return out;
}

function splitTarget(target: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(target.trim());
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (host === undefined || !(port >= 1 && port <= 65535)) {
    throw new AppError('malformed', `discovery target "${target}" is not host:port or range:port, e.g. 10.0.0.7:443, 10.0.0.0/28:443 or [fd00::/120]:8443`);
  }
  return { host, port };
}

/** The addresses of a CIDR range, lowest first; `room` bounds how many may still be added to a scan of at most `limit`. */
function rangeAddresses(range: string, target: string, room: number, limit: number): string[] {
  const cidr = parseCidr(range);
  if (cidr === undefined) throw new AppError('malformed', `discovery target "${target}": "${range}" is not a CIDR range, e.g. 10.0.0.0/28`);
  const bits = cidr.family === 'ipv4' ? 32 : 128;
  const size = 1n << BigInt(bits - cidr.prefix);
  if (size > BigInt(room)) throw tooMany(target, limit);
  const bytes = ipToBytes(cidr.address);
  const base = (toBigInt(bytes) >> BigInt(bits - cidr.prefix)) << BigInt(bits - cidr.prefix);
  const out: string[] = [];
  for (let i = 0n; i < size; i += 1n) out.push(ipFromBytes(fromBigInt(base + i, bytes.length)));
  return out;
}

function tooMany(target: string, limit: number): AppError {
  return new AppError('malformed', `discovery target "${target}" brings the scan above ${limit} endpoints: narrow the range or split the scan`);
}

const toBigInt = (bytes: Uint8Array): bigint => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

function fromBigInt(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i -= 1) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
