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

/** A shard's CRL path as src/acme/linker.ts builds it: `/crl/<issuerId>/<shard>.crl`. */
const SHARD_CRL_PATH = /\/crl\/[A-Za-z0-9_-]{1,64}\/([0-9]{1,4})\.crl$/;

/**
 * The shard the certificate's CRL distribution point names (`…/crl/<issuerId>/<shard>.crl`), or
 * null when it names the issuer-wide CRL (`…/crl/<issuerId>.crl`) or none.
 */
export function crlShardOf(der: Uint8Array): number | null {
  const ext = new x509.X509Certificate(der).getExtension(x509.CRLDistributionPointsExtension);
  for (const point of ext?.distributionPoints ?? []) {
    for (const name of point.distributionPoint?.fullName ?? []) {
      const shard = name.uniformResourceIdentifier === undefined ? undefined : SHARD_CRL_PATH.exec(name.uniformResourceIdentifier)?.[1];
      if (shard !== undefined) return Number(shard);
    }
  }
  return null;
}
