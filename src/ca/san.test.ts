import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectAlternativeName } from '@peculiar/asn1-x509';
import { encodeDer, encodeDerSequence } from './der.ts';
import { decodeSubjectAltName, encodeSubjectAltName } from './san.ts';

test('subjectAltName round-trips DNS names and canonical IPs', () => {
  const der = encodeSubjectAltName(['a.example', '*.b.example'], ['192.0.2.1', '2001:DB8::0:1']);
  assert.deepEqual(decodeSubjectAltName(der), [
    { type: 'dns', value: 'a.example' },
    { type: 'dns', value: '*.b.example' },
    { type: 'ip', value: '192.0.2.1' },
    { type: 'ip', value: '2001:db8::1' },
  ]);
});

test('subjectAltName re-encodes byte for byte through a schema-driven DER encoder, long lengths included', () => {
  // OpenSSL's encoding of the same names, lengths at each length-form boundary, is compared in
  // test/integration/ca.der-openssl.test.ts.
  for (const dns of [['a.example', '*.b.example'], ['x'.repeat(120), 'y'.repeat(130), 'z'.repeat(300)]]) {
    const der = encodeSubjectAltName(dns, ['192.0.2.1', '2001:db8::1']);
    const parsed = AsnConvert.parse(der, SubjectAlternativeName);
    assert.deepEqual(new Uint8Array(AsnConvert.serialize(parsed)), der);
    assert.deepEqual(Array.from(parsed, (n) => n.dNSName ?? n.iPAddress), [...dns, '192.0.2.1', '2001:db8::1']);
  }
});

test('other GeneralName forms are reported by name; malformed names throw', () => {
  const email = encodeDer(0x81, Buffer.from('a@b.example'));
  const uri = encodeDer(0x86, Buffer.from('https://x.example/'));
  assert.deepEqual(decodeSubjectAltName(encodeDerSequence([email, uri])), [
    { type: 'other', form: 'rfc822Name (email)' },
    { type: 'other', form: 'uniformResourceIdentifier' },
  ]);
  assert.throws(() => decodeSubjectAltName(encodeDerSequence([encodeDer(0x87, new Uint8Array(5))])), /4 or 16 bytes/);
  assert.throws(() => decodeSubjectAltName(encodeDerSequence([encodeDer(0x82, Buffer.from('a b'))])), /printable ASCII/);
  assert.throws(() => decodeSubjectAltName(encodeDerSequence([encodeDer(0x02, new Uint8Array([1]))])), /not a GeneralName/);
  assert.throws(() => encodeSubjectAltName(['bücher.example'], []), /A-label/);
});
