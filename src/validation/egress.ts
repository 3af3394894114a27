import { type BlockList, isIP } from 'node:net';
import { cidrBlockList, inRanges, isLoopbackIp } from '../ca/ip.ts';

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

/** How `validation.egress` reads once `loopback: "auto"` is decided (src/config/validation-settings.ts). */
export interface EgressConfig {
  deny: readonly string[];
  /** Empty: any address not denied. Otherwise only addresses in these ranges (loopback aside). */
  allow: readonly string[];
  allowLoopback: boolean;
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
  private readonly allowListed: boolean;

  constructor(private readonly config: EgressConfig) {
    this.deny = cidrBlockList(config.deny, 'validation.egress.deny');
    this.allow = cidrBlockList(config.allow, 'validation.egress.allow');
    this.allowListed = config.allow.length > 0;
  }

  /** Why `address` must not be dialled, or undefined when it may be. */
  refusal(address: string): string | undefined {
    if (isIP(address) === 0) return 'it is not an IP address';
    if (inRanges(this.deny, address)) return 'it is in a range validation does not connect to (validation.egress.deny)';
    // Loopback (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3): allowed only where configured.
    if (isLoopbackIp(address)) return this.config.allowLoopback ? undefined : 'it is a loopback address (validation.egress.loopback)';
    if (this.allowListed && !inRanges(this.allow, address)) return 'it is outside the ranges validation connects to (validation.egress.allow)';
    return undefined;
  }
}
