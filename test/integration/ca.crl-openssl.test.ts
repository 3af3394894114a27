// CRLs (src/ca/crl.ts, hand-built DER) as OpenSSL reads them: the fields it prints, its signature
// and revocation checks, and, written back out by OpenSSL, the same bytes we signed.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { generateCrl, type CrlOptions } from '../../src/ca/crl.ts';
import { readDerChildren, readDerExact } from '../../src/ca/der.ts';
import { issueCertificate, randomSerialHex } from '../../src/ca/issue.ts';
import { pemToDer } from '../../src/ca/pem.ts';
import { x509 } from '../../src/ca/x509.ts';
import { opensslScratch } from '../support/openssl.ts';
import { crlCa, crlOptions, HOUR, NOW, spkiOf } from '../support/issuing-ca.ts';

const scratch = opensslScratch('crl');
after(() => scratch.remove());
const openssl = scratch.run;

/** A 10-day server leaf of `ca` for `name`, naming `crlUrl` as its CRL distribution point when given. */
async function leafFor(ca: Awaited<ReturnType<typeof crlCa>>, name: string, crlUrl?: string) {
  return issueCertificate({
    ...ca.base,
    subjectPublicKeySpki: await spkiOf('ecdsa-p256'),
    dnsNames: [name], ipAddresses: [], notBefore: NOW, notAfter: new Date(NOW.getTime() + 240 * HOUR),
    serialHex: randomSerialHex(), extKeyUsage: ['serverAuth'], ...(crlUrl === undefined ? {} : { crlUrl }),
  });
}

/** `openssl verify` of `leaf` a minute after NOW, chaining to root.pem through int.pem, with crl.pem checked. */
const verifyArgs = (leaf: string): string[] =>
  ['verify', '-attime', String(NOW.getTime() / 1000 + 60), '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'int.pem', '-CRLfile', 'crl.pem', leaf];

/** crl.der as OpenSSL encodes it again after parsing it. */
function writtenBack(): Uint8Array {
  const r = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-outform', 'DER', '-out', 'back.der']);
  assert.equal(r.status, 0, r.out);
  return new Uint8Array(readFileSync(join(scratch.dir, 'back.der')));
}

/**
 * Entries (reason 0, so no extensions) whose encodings add up to exactly `total` bytes: an entry
 * with an n-byte serial is SEQUENCE { INTEGER (2 + n), UTCTime (15) }, 19 + n bytes, n in 1..20.
 */
function entriesFilling(total: number): CrlOptions['entries'] {
  const count = Math.ceil(total / 39);
  return Array.from({ length: count }, (_, i) => {
    const size = Math.floor(total / count) + (i < total % count ? 1 : 0);
    // Distinct serials whose first byte is below 0x80, so none gains a 0x00 prefix.
    return { serialHex: `${'11'.repeat(size - 20)}${i.toString(16).padStart(2, '0')}`, revokedAt: NOW, reason: 0 };
  });
}

describe('generateCrl', () => {
  const p256 = crlCa('ecdsa-p256');

  test('openssl parses the CRL: CRL number, AKI, entries with reasons; reason 0 has no entry extension', async () => {
    const { base, intermediate } = await p256;
    const s1 = randomSerialHex();
    const s2 = randomSerialHex();
    const crl = await generateCrl(crlOptions(base, {
      entries: [
        { serialHex: s1, revokedAt: new Date(NOW.getTime() - HOUR), reason: 1 },
        { serialHex: s2, revokedAt: new Date(NOW.getTime() - 2 * HOUR), reason: 0 },
      ],
    }));
    assert.deepEqual(pemToDer(crl.pem, 'X509 CRL'), crl.der);
    const text = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text'], { 'crl.der': crl.der });
    assert.equal(text.status, 0, text.out);
    assert.match(text.out, /Version 2 \(0x1\)/);
    assert.match(text.out, /Issuer: CN = Certainty Intermediate CA/);
    assert.match(text.out, /Last Update: Mar {2}1 12:00:00 2026 GMT\s+Next Update: Mar {2}2 12:00:00 2026 GMT/);
    assert.match(text.out, /X509v3 CRL Number: *\n\s+42\n/);
    const intSki = /Subject Key Identifier: *\n\s+([0-9A-F:]+)/.exec(openssl(['x509', '-in', 'int.pem', '-noout', '-text'], { 'int.pem': intermediate.certPem }).out)?.[1];
    assert.equal(/Authority Key Identifier: *\n\s+(?:keyid:)?([0-9A-F:]+)/.exec(text.out)?.[1], intSki);
    assert.match(text.out, new RegExp(`Serial Number: ${s1.toUpperCase()}\\s+Revocation Date: Mar {2}1 11:00:00 2026 GMT\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code: *\\n\\s+Key Compromise`));
    assert.match(text.out, new RegExp(`Serial Number: ${s2.toUpperCase()}\\s+Revocation Date: Mar {2}1 10:00:00 2026 GMT\\s+Signature Algorithm`));
    // No empty SEQUENCE anywhere (Extensions are SIZE (1..MAX)).
    const asn = openssl(['asn1parse', '-inform', 'DER', '-in', 'crl.der']).out;
    assert.doesNotMatch(asn, /l= +0 cons: SEQUENCE/);

    const verified = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'int.pem', '-noout']);
    assert.equal(verified.status, 0, verified.out);
    assert.match(verified.out, /verify OK/);
    // A second parser agrees.
    const parsed = new x509.X509Crl(crl.der);
    assert.equal(await parsed.verify({ publicKey: new x509.X509Certificate(intermediate.certPem).publicKey }), true);
    assert.equal(parsed.findRevoked(s1)?.reason, x509.X509CrlReason.keyCompromise);
    assert.equal(parsed.findRevoked(s2)?.reason, undefined);
  });

  test('openssl rejects the CRL against another CA with the same name but a different key', async () => {
    const { base } = await p256;
    const other = await crlCa('ecdsa-p256');
    const crl = await generateCrl(crlOptions(base));
    const v = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'other.pem', '-noout'], { 'crl.der': crl.der, 'other.pem': other.intermediate.certPem });
    // OpenSSL 3.0 `crl` exits 0 on a bad signature, so judge by its message.
    assert.match(v.out, /verify failure/);
    assert.doesNotMatch(v.out, /verify OK/);
  });

  test('openssl verify -crl_check reports a revoked leaf as revoked and a good one as OK', async () => {
    const ca = await p256;
    const { base, root, intermediate } = ca;
    const revoked = await leafFor(ca, 'revoked.example');
    const good = await leafFor(ca, 'good.example');
    const revokedSerial = new x509.X509Certificate(revoked.der).serialNumber;
    const crl = await generateCrl(crlOptions(base, { entries: [{ serialHex: revokedSerial, revokedAt: NOW, reason: 4 }] }));
    const files = { 'root.pem': root.certPem, 'int.pem': intermediate.certPem, 'crl.pem': crl.pem, 'revoked.pem': revoked.pem, 'good.pem': good.pem };
    const bad = openssl(verifyArgs('revoked.pem'), files);
    assert.notEqual(bad.status, 0);
    assert.match(bad.out, /certificate revoked/);
    const ok = openssl(verifyArgs('good.pem'));
    assert.equal(ok.status, 0, ok.out);
  });

  test('a shard\'s CRL: openssl prints its issuing distribution point, applies it to leaves naming that shard, refuses it for others', async () => {
    const ca = await p256;
    const { base, root, intermediate } = ca;
    const shardUrl = 'http://ca.example.test/crl/abc/5.crl';
    const revoked = await leafFor(ca, 'revoked.example', shardUrl);
    const good = await leafFor(ca, 'good.example', shardUrl);
    const elsewhere = await leafFor(ca, 'elsewhere.example', 'http://ca.example.test/crl/abc/6.crl');
    const revokedSerial = new x509.X509Certificate(revoked.der).serialNumber;
    const crl = await generateCrl(crlOptions(base, { distributionPoint: shardUrl, entries: [{ serialHex: revokedSerial, revokedAt: NOW, reason: 1 }] }));

    const text = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text'], { 'crl.der': crl.der });
    assert.equal(text.status, 0, text.out);
    assert.match(text.out, /X509v3 Issuing Distribution Point: critical\s+Full Name:\s+URI:http:\/\/ca\.example\.test\/crl\/abc\/5\.crl\s+Only User Certificates/);
    assert.deepEqual(writtenBack(), crl.der);

    const files = { 'root.pem': root.certPem, 'int.pem': intermediate.certPem, 'crl.pem': crl.pem, 'revoked.pem': revoked.pem, 'good.pem': good.pem, 'elsewhere.pem': elsewhere.pem };
    const bad = openssl(verifyArgs('revoked.pem'), files);
    assert.notEqual(bad.status, 0);
    assert.match(bad.out, /certificate revoked/);
    const ok = openssl(verifyArgs('good.pem'));
    assert.equal(ok.status, 0, ok.out);
    // A leaf naming another shard finds no CRL in scope: the shard's CRL is not taken for a complete one.
    const other = openssl(verifyArgs('elsewhere.pem'));
    assert.notEqual(other.status, 0);
    assert.match(other.out, /different CRL scope/);
  });

  test('an empty CRL omits revokedCertificates; RSA issuers and 20-octet CRL numbers work', async () => {
    const rsa = await crlCa('rsa-2048');
    const big = (1n << 159n) - 1n;
    const crl = await generateCrl(crlOptions(rsa.base, { crlNumber: big }));
    const text = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text', '-CAfile', 'int.pem'], { 'crl.der': crl.der, 'int.pem': rsa.intermediate.certPem });
    assert.equal(text.status, 0, text.out);
    assert.match(text.out, /verify OK/);
    assert.match(text.out, /No Revoked Certificates/);
    assert.match(text.out, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text.out, new RegExp(`CRL Number: *\\n\\s+0x${big.toString(16).toUpperCase()}\\n`));
  });

  test('several entries with every reason code: openssl lists each and writes the same bytes back', async () => {
    const { base, intermediate } = await p256;
    const reasons: Array<[number, string | undefined]> = [
      [0, undefined], [1, 'Key Compromise'], [2, 'CA Compromise'], [3, 'Affiliation Changed'], [4, 'Superseded'],
      [5, 'Cessation Of Operation'], [6, 'Certificate Hold'], [9, 'Privilege Withdrawn'], [10, 'AA Compromise'],
    ];
    // Serials of one byte, with the top bit set (a 0x00 is prefixed), and of the full 20 bytes.
    const serials = ['01', 'ff', '7f'.padEnd(40, 'e'), ...reasons.slice(3).map(() => randomSerialHex())];
    const entries = reasons.map(([reason], i) => ({ serialHex: serials[i] ?? '', revokedAt: new Date(NOW.getTime() - (i + 1) * HOUR), reason }));
    const crl = await generateCrl(crlOptions(base, { entries }));
    const text = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text', '-CAfile', 'int.pem'], { 'crl.der': crl.der, 'int.pem': intermediate.certPem });
    assert.equal(text.status, 0, text.out);
    assert.match(text.out, /verify OK/);
    reasons.forEach(([, name], i) => {
      // OpenSSL prints the magnitude in whole bytes: no 00 sign byte, a leading 0 nibble kept.
      const digits = BigInt(`0x${serials[i]}`).toString(16).toUpperCase();
      const serial = digits.length % 2 === 1 ? `0${digits}` : digits;
      const listed = new RegExp(`Serial Number: ${serial}\\s+Revocation Date: [^\\n]+\\n(\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code: *\\n\\s+([A-Za-z ]+)\\n)?`).exec(text.out);
      assert.ok(listed, `serial ${serial} is listed`);
      assert.equal(listed[2], name, `reason of serial ${serial}`);
    });
    assert.deepEqual(writtenBack(), crl.der);
  });

  test('revokedCertificates of 127, 128, 255 and 256 bytes: openssl verifies each; both encoders write the same bytes back', async () => {
    const { base, intermediate } = await p256;
    for (const length of [127, 128, 255, 256]) {
      const crl = await generateCrl(crlOptions(base, { entries: entriesFilling(length) }));
      const tbs = readDerChildren(readDerChildren(readDerExact(crl.der).value)[0]?.value ?? new Uint8Array());
      assert.equal(tbs[5]?.value.length, length, 'revokedCertificates contents length');
      const r = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-CAfile', 'int.pem'], { 'crl.der': crl.der, 'int.pem': intermediate.certPem });
      assert.match(r.out, /verify OK/, `${length}: ${r.out}`);
      assert.deepEqual(writtenBack(), crl.der, `${length} bytes`);
      // A schema-driven encoder that re-encodes every field (OpenSSL keeps the signed bytes it read).
      assert.deepEqual(new Uint8Array(AsnConvert.serialize(AsnConvert.parse(crl.der, CertificateList))), crl.der, `${length} bytes, asn1-schema`);
    }
  });
});
