import { createHierarchy } from '../../src/ca/hierarchy.ts';
import { issueCertificate, randomSerialHex } from '../../src/ca/issue.ts';
import { exportPkcs8, generateKeyPair, importPrivateKey } from '../../src/ca/keys.ts';
import { certNotAfter, certSha256Hex, derToPem } from '../../src/ca/pem.ts';
import type { CertificateMaterial } from '../../src/lifecycle/deploy/types.ts';

const DAY = 86_400_000;

/** A CA valid from now, that issues managed-certificate revisions for deploy and probe tests. */
export interface MaterialCa {
  /** The root, the trust bundle a probe checks chains against. */
  readonly rootPem: string;
  /** A revision for `names` (DNS names and IP addresses), valid from an hour ago for `days` days. */
  issue(name: string, names: readonly string[], days?: number): Promise<CertificateMaterial>;
}

export async function materialCa(label = 'Deploy Test'): Promise<MaterialCa> {
  const now = new Date();
  const h = await createHierarchy({ algorithm: 'ecdsa-p256', name: label, rootValidityDays: 30, intermediateValidityDays: 20, now });
  const issuer = await importPrivateKey(h.intermediate.keyPkcs8);
  return {
    rootPem: h.root.certPem,
    async issue(name, names, days = 10) {
      const pair = await generateKeyPair('ecdsa-p256');
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
      const serial = randomSerialHex();
      const cert = await issueCertificate({
        issuerCertPem: h.intermediate.certPem,
        issuerKey: issuer.privateKey,
        issuerAlgorithm: issuer.algorithm,
        subjectPublicKeySpki: spki,
        dnsNames: names.filter((n) => !/^[\d.:]+$/.test(n)),
        ipAddresses: names.filter((n) => /^[\d.:]+$/.test(n)),
        notBefore: new Date(Date.now() - 3_600_000),
        notAfter: new Date(Date.now() + days * DAY),
        serialHex: serial,
        extKeyUsage: ['serverAuth'],
      });
      return {
        name,
        certPem: cert.pem,
        chainPem: h.intermediate.certPem,
        keyPem: derToPem(await exportPkcs8(pair.privateKey), 'PRIVATE KEY'),
        serial,
        notAfter: certNotAfter(cert.der).getTime(),
        fingerprint256: certSha256Hex(cert.der),
        names: [...names],
      };
    },
  };
}
