// The hand-written DER of src/ca/der.ts and src/ca/san.ts checked against an independent encoder:
// OpenSSL's ASN1_generate_nconf (`openssl asn1parse -genconf`) builds the same values from a text
// description, and the bytes must be equal, lengths on both sides of 127/128 and 255/256 included.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeDer, encodeDerInteger, encodeDerTime, readDerExact, TAG_OCTET_STRING } from '../../src/ca/der.ts';
import { ipToBytes } from '../../src/ca/ip.ts';
import { encodeSubjectAltName } from '../../src/ca/san.ts';
import { opensslScratch } from '../support/openssl.ts';

const scratch = opensslScratch('der');
after(() => scratch.remove());

/** DER that OpenSSL generates from `asn1=<value>` plus extra config sections. */
function opensslGenerate(value: string, sections = ''): Buffer {
  const r = scratch.run(['asn1parse', '-genconf', 'gen.cnf', '-out', 'gen.der', '-noout'], { 'gen.cnf': `asn1=${value}\n${sections}` });
  assert.equal(r.status, 0, r.out);
  return readFileSync(join(scratch.dir, 'gen.der'));
}

/** The same GeneralNames as OpenSSL config: dNSName is [2] IA5String, iPAddress [7] OCTET STRING. */
function opensslSan(dnsNames: string[], ips: string[]): Buffer {
  const lines = [
    ...dnsNames.map((name, i) => `d${i}=IMPLICIT:2,IA5STRING:${name}`),
    ...ips.map((ip, i) => `i${i}=IMPLICIT:7,FORMAT:HEX,OCTETSTRING:${Buffer.from(ipToBytes(ip)).toString('hex')}`),
  ];
  return opensslGenerate('SEQUENCE:san', `[san]\n${lines.join('\n')}\n`);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Contents lengths on both sides of the short (< 128), one-byte long (< 256) and two-byte long
 * length forms. As whole dNSName elements they make names of 125, 126, 127, 128, 252 … 256 bytes.
 */
const BOUNDARY_LENGTHS = [127, 128, 129, 131, 255, 256, 257, 258, 260];

/** A dNSName whose whole element (tag, length, text) is `total` bytes long. */
function dnsNameFilling(total: number): string {
  const header = total - 2 < 128 ? 2 : total - 3 < 256 ? 3 : 4;
  return `${'x'.repeat(total - header - '.example'.length)}.example`;
}

describe('DER against OpenSSL', () => {
  test('subjectAltName with DNS names, IPv4 and IPv6 is byte for byte what OpenSSL encodes', () => {
    const dns = ['a.example', '*.b.example'];
    const ips = ['192.0.2.1', '2001:db8::1', '::ffff:198.51.100.7'];
    assert.equal(hex(encodeSubjectAltName(dns, ips)), hex(opensslSan(dns, ips)));
    const asn = scratch.run(['asn1parse', '-inform', 'DER'], {}, encodeSubjectAltName(dns, ips));
    assert.equal(asn.status, 0, asn.out);
    assert.equal((asn.out.match(/prim: cont \[ 2 \]/g) ?? []).length, 2);
    assert.equal((asn.out.match(/prim: cont \[ 7 \]/g) ?? []).length, 3);
  });

  test('lengths on both sides of the short and long forms match OpenSSL, outer and inner', () => {
    for (const length of BOUNDARY_LENGTHS) {
      // The GeneralNames SEQUENCE holds exactly `length` bytes; the name inside crosses the boundaries too.
      const name = dnsNameFilling(length);
      const ours = encodeSubjectAltName([name], []);
      assert.equal(readDerExact(ours).value.length, length);
      assert.equal(hex(ours), hex(opensslSan([name], [])), `dNSName of ${name.length} bytes`);
      const octets = new Uint8Array(length).fill(0xab);
      assert.equal(hex(encodeDer(TAG_OCTET_STRING, octets)), hex(opensslGenerate(`FORMAT:HEX,OCTETSTRING:${hex(octets)}`)), `OCTET STRING of ${length} bytes`);
    }
  });

  test('INTEGER and Time encodings match OpenSSL', () => {
    for (const value of [0n, 1n, 127n, 128n, 255n, 256n, 65_535n, 65_536n, (1n << 159n) - 1n]) {
      assert.equal(hex(encodeDerInteger(value)), hex(opensslGenerate(`INTEGER:0x${value.toString(16)}`)), String(value));
    }
    assert.equal(hex(encodeDerTime(new Date('2049-12-31T23:59:59.999Z'))), hex(opensslGenerate('UTCTIME:491231235959Z')));
    assert.equal(hex(encodeDerTime(new Date('2050-01-01T00:00:00Z'))), hex(opensslGenerate('GENERALIZEDTIME:20500101000000Z')));
  });
});
