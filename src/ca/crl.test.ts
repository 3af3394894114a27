import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, CertificateList, CRLNumber, CRLReason, id_ce_authorityKeyIdentifier, id_ce_cRLNumber, id_ce_cRLReasons } from '@peculiar/asn1-x509';
import { generateCrl } from './crl.ts';
import { randomSerialHex } from './issue.ts';
import { x509 } from './x509.ts';
import { crlCa, crlOptions, HOUR, NOW } from '../../test/support/issuing-ca.ts';

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
