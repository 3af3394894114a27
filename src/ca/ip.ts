/**
 * IP address text <-> bytes, with one canonical text form so identifiers compare by string:
 * dotted quad for IPv4, RFC 5952 compressed lowercase for IPv6 (as Node's inet_ntop writes it).
 * Also the one parser of address ranges ("10.0.0.0/8") that config keys take.
 */
import { BlockList, isIP, isIPv4, isIPv6, SocketAddress } from 'node:net';

/** The canonical text of an IP address, or undefined when `text` is not a plain IPv4/IPv6 address. */
export function canonicalIp(text: string): string | undefined {
  if (isIPv4(text)) return new SocketAddress({ address: text, family: 'ipv4' }).address;
  // Zone identifiers (fe80::1%eth0) name an interface, not an address a certificate can carry.
  if (isIPv6(text) && !text.includes('%')) return new SocketAddress({ address: text, family: 'ipv6' }).address;
  return undefined;
}

/** The 4 or 16 network-order bytes of an address; throws on anything canonicalIp rejects. */
export function ipToBytes(text: string): Uint8Array {
  const canonical = canonicalIp(text);
  if (canonical === undefined) throw new Error(`"${text}" is not an IP address`);
  if (!canonical.includes(':')) return Uint8Array.from(canonical.split('.').map(Number));
  let groups = canonical.split(':');
  const last = groups[groups.length - 1] ?? '';
  if (last.includes('.')) {
    // Embedded IPv4 tail (::ffff:1.2.3.4): rewrite as two hex groups.
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    groups = [...groups.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  }
  const gap = groups.indexOf('');
  if (gap !== -1) {
    // "::" leaves empty strings around the gap; replace the run with the missing zero groups.
    const head = groups.slice(0, gap).filter((g) => g !== '');
    const tail = groups.slice(gap).filter((g) => g !== '');
    groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** Canonical text for 4 or 16 address bytes (an iPAddress GeneralName); throws on other lengths. */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new Error(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** An address range: `prefix` leading bits of `address`. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * An address or CIDR range as `validation.egress.*`, `server.trustedProxies` and
 * `policy.allowedIpRanges` take it ("10.0.0.0/8", "fd00::/8", "192.0.2.7"); undefined when it is neither.
 */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', bits, extra] = text.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A BlockList of `ranges`; throws naming `key` and the first entry parseCidr refuses. */
export function cidrBlockList(ranges: readonly string[], key: string): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const cidr = parseCidr(range);
    if (cidr === undefined) throw new Error(`${key}: "${range}" is not an IP address or CIDR range`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}

/**
 * Whether `address` is in `list`; false when it is no IP address. IPv4-mapped IPv6 addresses
 * (::ffff:192.0.2.1) match IPv4 ranges (Node's BlockList).
 */
export function inRanges(list: BlockList, address: string): boolean {
  const version = isIP(address);
  return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

/** Loopback (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). */
const LOOPBACK = cidrBlockList(['127.0.0.0/8', '::1/128'], 'loopback');

/** Whether `address` is a loopback address; false when it is no IP address. */
export function isLoopbackIp(address: string): boolean {
  return inRanges(LOOPBACK, address);
}
