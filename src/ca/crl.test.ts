import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier, CertificateList, CRLNumber, CRLReason, id_ce_authorityKeyIdentifier, id_ce_cRLNumber, id_ce_cRLReasons,
  id_ce_issuingDistributionPoint, IssuingDistributionPoint,
} from '@peculiar/asn1-x509';
import { generateCrl } from './crl.ts';
import { readDerChildren, readDerExact } from './der.ts';
import { crlPath, crlShardOf, parseCrlPath, shardForSerial } from './crl-shards.ts';
import { issueCertificate, randomSerialHex } from './issue.ts';
import { x509 } from './x509.ts';
import { crlCa, crlOptions, HOUR, leafOptions, NOW, testCa } from '../../test/support/issuing-ca.ts';

// OpenSSL's view of the same CRLs (fields, signature, revocation checks, lengths at the DER
// length-form boundaries) is in test/integration/ca.crl-openssl.test.ts.

/** `der` parsed as `type` and serialized again by @peculiar/asn1-schema, which re-encodes every field. */
function reencoded<T>(der: Uint8Array | ArrayBuffer, type: new () => T): { value: T; der: Uint8Array } {
  const value = AsnConvert.parse(der, type);
  return { value, der: new Uint8Array(AsnConvert.serialize(value)) };
}

const extension = (extensions: CertificateList['tbsCertList']['crlExtensions'], oid: string) => extensions?.find((e) => e.extnID === oid)?.extnValue.buffer;

describe('generateCrl', () => {
  const p256 = crlCa('ecdsa-p256');

  test('entries with every reason code re-encode byte for byte through a schema-driven DER encoder', async () => {
    const { base, intermediate } = await p256;
    const reasons = [0, 1, 2, 3, 4, 5, 6, 9, 10];
    const serials = ['01', 'ff', ...reasons.slice(2).map(() => randomSerialHex())];
    const entries = reasons.map((reason, i) => ({ serialHex: serials[i] ?? '', revokedAt: new Date(NOW.getTime() - (i + 1) * HOUR), reason }));
    const crl = await generateCrl(crlOptions(base, { crlNumber: 300n, entries }));

    const { value: parsed, der } = reencoded(crl.der, CertificateList);
    assert.deepEqual(der, crl.der);
    const revoked = parsed.tbsCertList.revokedCertificates ?? [];
    assert.deepEqual(revoked.map((r) => BigInt(`0x${Buffer.from(r.userCertificate).toString('hex')}`)), serials.map((s) => BigInt(`0x${s}`)));
    revoked.forEach((entry, i) => {
      assert.equal(entry.revocationDate.getTime().getTime(), NOW.getTime() - (i + 1) * HOUR);
      const reason = extension(entry.crlEntryExtensions, id_ce_cRLReasons);
      // RFC 5280 §5.3.1: no reasonCode extension (and no empty extensions list) for unspecified.
      if (reasons[i] === 0) {
        assert.equal(entry.crlEntryExtensions, undefined);
        return;
      }
      assert.ok(reason);
      const code = reencoded(reason, CRLReason);
      assert.equal(code.value.reason, reasons[i]);
      assert.deepEqual(code.der, new Uint8Array(reason));
    });
    const number = extension(parsed.tbsCertList.crlExtensions, id_ce_cRLNumber);
    const aki = extension(parsed.tbsCertList.crlExtensions, id_ce_authorityKeyIdentifier);
    assert.ok(number && aki);
    assert.equal(reencoded(number, CRLNumber).value.value, 300);
    assert.deepEqual(reencoded(number, CRLNumber).der, new Uint8Array(number));
    assert.deepEqual(reencoded(aki, AuthorityKeyIdentifier).der, new Uint8Array(aki));

    // And the X.509 library the rest of src/ca uses reads and verifies it.
    const read = new x509.X509Crl(crl.der);
    assert.equal(await read.verify({ publicKey: new x509.X509Certificate(intermediate.certPem).publicKey }), true);
    assert.equal(read.findRevoked(serials[1] ?? '')?.reason, x509.X509CrlReason.keyCompromise);
    assert.equal(read.findRevoked(serials[0] ?? '')?.reason, undefined);
  });

  test('a partitioned CRL carries a critical issuing distribution point naming its URL, for end-entity certificates only', async () => {
    const { base, intermediate } = await p256;
    const url = 'http://ca.example.test/crl/abc/3.crl';
    const crl = await generateCrl(crlOptions(base, { crlNumber: 7n, distributionPoint: url, entries: [{ serialHex: randomSerialHex(), revokedAt: NOW, reason: 1 }] }));

    const { value: parsed, der } = reencoded(crl.der, CertificateList);
    assert.deepEqual(der, crl.der);
    const ext = parsed.tbsCertList.crlExtensions?.find((e) => e.extnID === id_ce_issuingDistributionPoint);
    assert.ok(ext, 'an issuing distribution point extension');
    assert.equal(ext.critical, true, 'RFC 5280 §5.2.5: the extension is critical');
    const idp = reencoded(ext.extnValue.buffer, IssuingDistributionPoint);
    assert.deepEqual(idp.der, new Uint8Array(ext.extnValue.buffer), 'the value re-encodes byte for byte');
    assert.deepEqual(idp.value.distributionPoint?.fullName?.map((n) => n.uniformResourceIdentifier), [url]);
    assert.equal(idp.value.onlyContainsUserCerts, true);
    assert.equal(idp.value.onlyContainsCACerts, false);
    assert.equal(idp.value.onlySomeReasons, undefined);
    assert.equal(idp.value.indirectCRL, false);
    assert.equal(await new x509.X509Crl(crl.der).verify({ publicKey: new x509.X509Certificate(intermediate.certPem).publicKey }), true);

    // A complete CRL has none (RFC 5280 §5.2.5: it covers every certificate of the issuer).
    const full = AsnConvert.parse((await generateCrl(crlOptions(base))).der, CertificateList);
    assert.equal(full.tbsCertList.crlExtensions?.some((e) => e.extnID === id_ce_issuingDistributionPoint), false);
    await assert.rejects(generateCrl(crlOptions(base, { distributionPoint: 'ldap://x/y' })), /not an http\(s\) URL/);
  });

  test('a CRL with more entries than asn1js parses (10,000 nodes) is still signed and checked', async () => {
    const { base } = await p256;
    const entries = Array.from({ length: 5000 }, (_, i) => ({ serialHex: randomSerialHex(), revokedAt: NOW, reason: i % 2 }));
    const crl = await generateCrl(crlOptions(base, { entries }));
    const [tbs] = readDerChildren(readDerExact(crl.der).value);
    const revoked = readDerChildren(tbs?.value ?? new Uint8Array()).find((e) => e.tag === 0x30 && readDerChildren(e.value).length === entries.length);
    assert.ok(revoked, 'all 5000 entries are listed');
    const other = await crlCa('ecdsa-p256');
    await assert.rejects(generateCrl(crlOptions({ ...base, issuerKey: other.key.privateKey })), /issuerKey does not match issuerCertPem/);
  });

  test('rejects invalid reason codes, duplicate serials, bad windows and out-of-range numbers', async () => {
    const { base } = await p256;
    const s = randomSerialHex();
    await assert.rejects(generateCrl(crlOptions(base, { entries: [{ serialHex: s, revokedAt: NOW, reason: 7 }] })), /reason 7 .* is not a full-CRL reason code/);
    await assert.rejects(generateCrl(crlOptions(base, { entries: [{ serialHex: s, revokedAt: NOW, reason: 8 }] })), /reason 8/);
    await assert.rejects(generateCrl(crlOptions(base, { entries: [{ serialHex: s, revokedAt: NOW, reason: 1 }, { serialHex: s.toUpperCase(), revokedAt: NOW, reason: 1 }] })), /listed twice/);
    await assert.rejects(generateCrl(crlOptions(base, { nextUpdate: NOW })), /nextUpdate must be after thisUpdate/);
    await assert.rejects(generateCrl(crlOptions(base, { crlNumber: 1n << 159n })), /outside 0\.\.2\^159-1/);
    await assert.rejects(generateCrl(crlOptions(base, { crlNumber: -1 })), /outside/);
  });
});

describe('CRL shards', () => {
  test('a serial\'s shard is stable and spreads serials over every shard', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 4000; i++) {
      const serial = randomSerialHex();
      const shard = shardForSerial(serial, 8);
      assert.equal(shardForSerial(serial, 8), shard);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    assert.ok(counts.every((c) => c > 300), `every shard gets about an eighth: ${counts.join(', ')}`);
    assert.equal(shardForSerial('0a', 1), 0);
  });

  test('the shard is read back from the certificate\'s CRL distribution point, null for the issuer-wide one', async () => {
    const ca = await testCa('ecdsa-p256');
    const leaf = async (url: string | undefined): Promise<Uint8Array> => {
      const { crlUrl: _default, ...opts } = await leafOptions(ca);
      return (await issueCertificate(url === undefined ? opts : { ...opts, crlUrl: url })).der;
    };
    assert.equal(crlShardOf(await leaf('https://ca.example.test/crl/Ab-_9/17.crl')), 17);
    assert.equal(crlShardOf(await leaf('https://ca.example.test/prefix/crl/Ab-_9/0.crl')), 0);
    assert.equal(crlShardOf(await leaf('https://ca.example.test/crl/1234.crl')), null);
    assert.equal(crlShardOf(await leaf(undefined)), null);
  });

  test('a CRL path is read back as built; anything else is not a CRL path', () => {
    for (const [id, shard] of [['Ab-_9', undefined], ['Ab-_9', 0], ['x', 9999]] as const) {
      assert.deepEqual(parseCrlPath(crlPath(id, shard)), shard === undefined ? { issuerId: id } : { issuerId: id, shard });
    }
    for (const bad of ['/crl/a/01.crl', '/crl/a/10000.crl', '/crl/a.b.crl', '/crl/.crl', '/x/crl/a.crl', '/crl/a/1.crl/x']) assert.equal(parseCrlPath(bad), undefined, bad);
    assert.deepEqual(parseCrlPath('/x/crl/a/3.crl', true), { issuerId: 'a', shard: 3 });
  });
});
