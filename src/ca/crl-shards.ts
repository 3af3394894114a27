/**
 * Which CRL shard a certificate is on (RFC 5280 §5.2.5 partitioned CRLs, as Let's Encrypt's
 * Boulder shards them: docs/CRLS.md there). The shard is chosen at issuance from the serial's
 * random low bytes and written into the certificate's CRL distribution point; at revocation it is
 * read back from that distribution point, never recomputed, so changing `ca.crlShards` later moves
 * no certificate to a CRL its relying parties do not fetch.
 */
import { x509 } from './x509.ts';

/** The shard of a new certificate: its serial's low 32 bits (random, src/ca/issue.ts) modulo the count. */
export function shardForSerial(serialHex: string, shards: number): number {
  return Number(BigInt(`0x${serialHex.slice(-8) || '0'}`) % BigInt(shards));
}

/**
 * Where an issuer's CRLs are served, built and read only here: the issuer-wide CRL at
 * `/crl/<issuerId>.crl`, shard n's at `/crl/<issuerId>/<n>.crl`.
 */
export function crlPath(issuerId: string, shard?: number): string {
  return shard === undefined ? `/crl/${issuerId}.crl` : `/crl/${issuerId}/${shard}.crl`;
}

const CRL_PATH = /\/crl\/([A-Za-z0-9_-]{1,64})(?:\/(0|[1-9][0-9]{0,3}))?\.crl$/;

/**
 * The issuer (and shard) a CRL path names. `prefixed` accepts a path under a prefix, as in a
 * distribution point behind an external URL with a path (`https://pki.example/ca/crl/…`).
 */
export function parseCrlPath(path: string, prefixed = false): { issuerId: string; shard?: number } | undefined {
  const m = CRL_PATH.exec(path);
  if (!m?.[1] || (!prefixed && m.index !== 0)) return undefined;
  return m[2] === undefined ? { issuerId: m[1] } : { issuerId: m[1], shard: Number(m[2]) };
}

/**
 * The shard the certificate's CRL distribution point names (`…/crl/<issuerId>/<shard>.crl`), or
 * null when it names the issuer-wide CRL (`…/crl/<issuerId>.crl`) or none.
 */
export function crlShardOf(der: Uint8Array): number | null {
  const ext = new x509.X509Certificate(der).getExtension(x509.CRLDistributionPointsExtension);
  for (const point of ext?.distributionPoints ?? []) {
    for (const name of point.distributionPoint?.fullName ?? []) {
      const shard = name.uniformResourceIdentifier === undefined ? undefined : parseCrlPath(name.uniformResourceIdentifier, true)?.shard;
      if (shard !== undefined) return shard;
    }
  }
  return null;
}
