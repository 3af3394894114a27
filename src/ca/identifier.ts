/**
 * What a certificate is requested for: a DNS name or an IP address (RFC 8555 §9.7.7, RFC 8738).
 * Declared here, the lowest layer that needs it (the tls-alpn-01 certificate check); validation,
 * the ACME client and the ACME domain import it.
 */
export interface Identifier {
  type: 'dns' | 'ip';
  value: string;
}
