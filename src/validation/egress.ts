import { BlockList, isIP } from 'node:net';

/**
 * Addresses validation never connects to unless told otherwise. An http-01 or tls-alpn-01 target is
 * chosen by the client (its DNS, its redirects), so without this list a client could make the CA
 * fetch from the cloud metadata service or other hosts only the CA can reach.
 */
export const DEFAULT_EGRESS_DENY: readonly string[] = [
  '0.0.0.0/8', // "this network" (RFC 791): connecting to 0.0.0.0 reaches the local host on Linux
  '::/128', // the unspecified address, likewise
  '169.254.0.0/16', // IPv4 link-local (RFC 3927), and with it 169.254.169.254 (AWS, GCP, Azure, OCI metadata)
  'fe80::/10', // IPv6 link-local (RFC 4291 §2.5.6)
  'fd00:ec2::254/128', // AWS instance metadata over IPv6
  '100.100.100.200/32', // Alibaba Cloud metadata
  '168.63.129.16/32', // Azure WireServer
];

/** Loopback (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3): allowed only where configured. */
const LOOPBACK: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** How `validation.egress` reads once `loopback: "auto"` is decided (src/config/validation-settings.ts). */
export interface EgressConfig {
  deny: readonly string[];
  /** Empty: any address not denied. Otherwise only addresses in these ranges (loopback aside). */
  allow: readonly string[];
  allowLoopback: boolean;
}

/**
 * An address or CIDR range as `validation.egress.*` and `policy.allowedIpRanges` take it
 * ("10.0.0.0/8", "fd00::/8", "192.0.2.7"); undefined when it is neither.
 */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits, extra] = text.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockList(ranges: readonly string[], key: string): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const cidr = parseCidr(range);
    if (cidr === undefined) throw new Error(`${key}: "${range}" is not an IP address or CIDR range`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}

/**
 * Which addresses validation may connect to. Checked on the resolved address of every connection
 * (first request and each redirect), which is then dialled as a literal, so a DNS answer that
 * changes between the check and the connection (rebinding) cannot swap it.
 * IPv4-mapped IPv6 addresses (::ffff:169.254.169.254) match the IPv4 ranges (Node's BlockList).
 */
export class EgressPolicy {
  private readonly deny: BlockList;
  private readonly allow: BlockList;
  private readonly loopback = blockList(LOOPBACK, 'loopback');
  private readonly allowListed: boolean;

  constructor(private readonly config: EgressConfig) {
    this.deny = blockList(config.deny, 'validation.egress.deny');
    this.allow = blockList(config.allow, 'validation.egress.allow');
    this.allowListed = config.allow.length > 0;
  }

  /** Why `address` must not be dialled, or undefined when it may be. */
  refusal(address: string): string | undefined {
    const version = isIP(address);
    if (version === 0) return 'it is not an IP address';
    const family = version === 4 ? 'ipv4' : 'ipv6';
    if (this.deny.check(address, family)) return 'it is in a range validation does not connect to (validation.egress.deny)';
    if (this.loopback.check(address, family)) {
      return this.config.allowLoopback ? undefined : 'it is a loopback address (validation.egress.loopback)';
    }
    if (this.allowListed && !this.allow.check(address, family)) return 'it is outside the ranges validation connects to (validation.egress.allow)';
    return undefined;
  }
}
