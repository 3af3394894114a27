import type { EgressPolicy } from './egress.ts';
import type { Identifier } from '../ca/identifier.ts';

/** The issuance policy's verdict on a name or address (src/acme/policy.ts implements it). */
export interface IdentifierGate {
  permits(identifier: Identifier): boolean;
}

/** How the validation authority reaches validation targets. */
export interface ValidationSettings {
  /**
   * "host:port" (IPv6 as "[::1]:53") of the resolver used for dns-01 TXT lookups and for resolving
   * http-01 / tls-alpn-01 targets; undefined = the system resolver.
   */
  dnsServer: string | undefined;
  /** Port http-01 fetches go to (RFC 8555 §8.3 says 80; tests and labs use others). */
  http01Port: number;
  /** Port tls-alpn-01 handshakes go to (RFC 8737 §3 says 443). */
  tlsAlpn01Port: number;
  /** Deadline for one validation attempt, in milliseconds. */
  timeoutMs: number;
  /** Most HTTP redirects an http-01 fetch follows; 10 when unset. */
  maxRedirects?: number;
  /** Which addresses may be connected to (every address, first request and redirects). */
  egress: EgressPolicy;
  /**
   * Hosts an http-01 redirect may lead to: only names and addresses the CA would issue for, so a
   * redirect cannot reach what an order could not name. Unset: any.
   */
  redirectHosts?: IdentifierGate;
}
