import { isIP } from 'node:net';
import { ipToBytes } from '../ca/ip.ts';
import { AppError, isAppError } from '../errors.ts';
import type { EgressPolicy } from './egress.ts';

/** "host:port", bracketing IPv6 literals ("[::1]:80"). */
export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The reverse-DNS name of an IP address ("1.0.0.127.in-addr.arpa", nibble form under "ip6.arpa"),
 * which RFC 8738 §6 makes the SNI of a tls-alpn-01 handshake for an IP identifier.
 */
export function reverseDnsName(ip: string): string {
  const bytes = Array.from(ipToBytes(ip));
  if (bytes.length === 4) return `${bytes.reverse().join('.')}.in-addr.arpa`;
  const nibbles = bytes.flatMap((b) => [b >> 4, b & 0x0f]).map((n) => n.toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** Where a validator connects: the policy every address must pass, and how failures name the address. */
export interface DialPlan {
  egress: EgressPolicy;
  /** "address:port: what is being done", the prefix of every problem detail about `address`. */
  where(address: string): string;
}

/**
 * Tries the first IPv4, then the first IPv6 address the egress policy allows, moving on only when a
 * connection could not be made (Boulder's fallback between families, IPv4 preferred here). Other
 * failures are final. When every address fails, the preferred address's failure is reported; when
 * the policy allows none, the first refused one is named. This is the only way validators reach an
 * address, so every address dialled, first request or redirect, has passed the policy.
 */
export async function tryEachAddress<T>(addresses: string[], plan: DialPlan, attempt: (address: string) => Promise<T>): Promise<T> {
  const allowed = addresses.filter((a) => plan.egress.refusal(a) === undefined);
  const candidates = [allowed.find((a) => isIP(a) === 4), allowed.find((a) => isIP(a) === 6)].filter(
    (a): a is string => a !== undefined,
  );
  const refused = addresses.find((a) => !allowed.includes(a));
  if (candidates.length === 0 && refused !== undefined) {
    throw new AppError('connection', `${plan.where(refused)}: Refused to connect: ${plan.egress.refusal(refused) ?? ''}`);
  }
  let firstError: AppError | undefined;
  for (const address of candidates) {
    try {
      return await attempt(address);
    } catch (err) {
      if (!isAppError(err) || err.code !== 'connection') throw err;
      firstError ??= err;
    }
  }
  throw firstError ?? new AppError('dns', 'DNS problem: No valid IP addresses found');
}
