import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { leafOptions, spkiOf, testCa } from '../../test/support/issuing-ca.ts';
import { readDerChildren, readDerExact } from './der.ts';
import { issueCertificate, type IssueOptions } from './issue.ts';
import { parseCertificatePem } from './issuer-cert.ts';
import { encodeSubjectAltName, OID_SUBJECT_ALT_NAME } from './san.ts';
import { x509 } from './x509.ts';

const tbsOf = (der: Uint8Array): string => {
  const outer = readDerExact(der).value;
  const [tbs] = readDerChildren(outer);
  if (tbs === undefined) throw new Error('no tbsCertificate');
  return Buffer.from(outer.subarray(tbs.start, tbs.end)).toString('hex');
};

/** The same leaf built field by field with @peculiar/x509, the library the DER layout replaced. */
async function libraryTbs(opts: IssueOptions, commonName: string | undefined, rsa: boolean): Promise<string> {
  const issuer = parseCertificatePem(opts.issuerCertPem, 'issuer');
  const bits = readDerChildren(readDerExact(opts.subjectPublicKeySpki).value)[1]?.value.subarray(1) ?? new Uint8Array(0);
  const usage = rsa ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
  const extensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    new x509.ExtendedKeyUsageExtension(opts.extKeyUsage.map((u) => x509.ExtendedKeyUsage[u]), false),
    new x509.SubjectKeyIdentifierExtension(createHash('sha1').update(bits).digest('hex')),
    new x509.AuthorityKeyIdentifierExtension(issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? ''),
    new x509.Extension(OID_SUBJECT_ALT_NAME, commonName === undefined, encodeSubjectAltName(opts.dnsNames, opts.ipAddresses)),
  ];
  if (opts.crlUrl !== undefined) extensions.push(new x509.CRLDistributionPointsExtension([opts.crlUrl]));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serialHex, ...(commonName === undefined ? {} : { subject: [{ CN: [commonName] }] }), issuer: issuer.subjectName,
    notBefore: opts.notBefore, notAfter: opts.notAfter, publicKey: opts.subjectPublicKeySpki, signingKey: opts.issuerKey,
    signingAlgorithm: opts.issuerAlgorithm === 'ecdsa-p384' ? { name: 'ECDSA', hash: 'SHA-384' } : { name: 'ECDSA', hash: 'SHA-256' }, extensions,
  });
  return tbsOf(new Uint8Array(cert.rawData));
}

test('the DER layout writes, byte for byte, the tbsCertificate the X.509 library builds from the same fields', async () => {
  for (const alg of ['ecdsa-p256', 'ecdsa-p384'] as const) {
    const ca = await testCa(alg);
    const rsaKey = await spkiOf('rsa-2048');
    const cases: Array<[Partial<IssueOptions>, string | undefined]> = [
      [{}, 'www.example.com'],
      [{ dnsNames: ['*.example.com'], ipAddresses: [] }, '*.example.com'],
      [{ dnsNames: [], ipAddresses: ['10.0.0.1'], extKeyUsage: ['clientAuth'] }, undefined],
      [{ subjectPublicKeySpki: rsaKey, serialHex: '7f', extKeyUsage: ['serverAuth', 'clientAuth'], crlUrl: `http://ca.test/${'c'.repeat(200)}` }, 'www.example.com'],
      [{ dnsNames: [`${'a'.repeat(60)}.example.com`], ipAddresses: [] }, undefined],
    ];
    for (const [overrides, commonName] of cases) {
      const opts = await leafOptions(ca, overrides);
      // One leaf without a CRL distribution point.
      if (commonName === '*.example.com') delete opts.crlUrl;
      const leaf = await issueCertificate(opts);
      assert.equal(tbsOf(leaf.der), await libraryTbs(opts, commonName, overrides.subjectPublicKeySpki === rsaKey), `${alg} ${JSON.stringify(overrides).slice(0, 80)}`);
    }
  }
});
