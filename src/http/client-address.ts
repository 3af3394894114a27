import type { IncomingMessage } from 'node:http';
import { canonicalIp, cidrBlockList, inRanges } from '../ca/ip.ts';

/**
 * One canonical text per address: IPv4-mapped IPv6 (`::ffff:192.0.2.1`, how a dual-stack socket
 * reports IPv4 peers) as IPv4; a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`) dropped.
 * Undefined for anything that is not an address.
 */
export function normalizeAddress(text: string): string | undefined {
  let bare = text.trim();
  bare = /^\[([^\]]+)\](?::\d+)?$/.exec(bare)?.[1] ?? /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(bare)?.[1] ?? bare;
  bare = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1] ?? bare;
  return canonicalIp(bare);
}

/**
 * Finds the client's address for per-address limits. The TCP peer, unless the peer is one of
 * `trustedProxies` (server.trustedProxies, validated by the config schema): then X-Forwarded-For
 * is read from the right, past every trusted hop, and the first address a trusted proxy reported
 * is the client. Anything left of it was written by the client and is ignored, so a client
 * cannot choose its address. The standard `Forwarded` header (RFC 7239) is not read: a proxy
 * that writes X-Forwarded-For passes a client's own `Forwarded` header through untouched.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): (req: IncomingMessage) => string {
  const trusted = cidrBlockList(trustedProxies, 'server.trustedProxies');
  const isTrusted = (address: string): boolean => inRanges(trusted, address);
  return (req) => {
    const peer = normalizeAddress(req.socket.remoteAddress ?? '') ?? 'unknown';
    if (trustedProxies.length === 0 || !isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeAddress(hops[i] ?? '');
      // A hop that is no address ends the walk: the last trusted proxy is then the client.
      if (hop === undefined) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}
