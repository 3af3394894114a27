import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks an issued chain against the restored root: every certificate is signed by the next, the
 * last by the root; the root signs itself; the leaf names `ip`, holds the key that was asked for,
 * and is valid now. Returns a one-line summary; throws naming the first link that fails.
 */
export function checkChain(chainPem: string, rootPem: string, ip: string, spki: Buffer, now: Date): string {
  const chain = (chainPem.match(PEM_BLOCK) ?? []).map((pem) => new X509Certificate(pem));
  const root = new X509Certificate(rootPem);
  const leaf = chain[0];
  if (leaf === undefined) throw new Error('the server returned no certificate');
  if (!root.verify(root.publicKey) || !root.checkIssued(root)) throw new Error('the restored root is not self-signed');
  const links = [...chain, root];
  for (let i = 0; i + 1 < links.length; i += 1) {
    const child = links[i] as X509Certificate;
    const parent = links[i + 1] as X509Certificate;
    if (child.fingerprint256 === parent.fingerprint256) continue;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw new Error(`"${child.subject.replace(/\n/g, ', ')}" is not signed by "${parent.subject.replace(/\n/g, ', ')}"${i + 1 === links.length - 1 ? ' (the restored root)' : ''}`);
    }
  }
  if (leaf.checkIP(ip) === undefined) throw new Error(`the certificate does not name ${ip}`);
  if (!leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)) throw new Error('the certificate does not hold the key of the CSR');
  if (Date.parse(leaf.validFrom) > now.getTime() || Date.parse(leaf.validTo) < now.getTime()) throw new Error(`the certificate is not valid now (${leaf.validFrom} to ${leaf.validTo})`);
  return `serial ${leaf.serialNumber.toLowerCase()}, ${chain.length} certificate(s) up to root ${root.fingerprint256.slice(0, 23)}…`;
}
