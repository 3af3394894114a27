import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkKeyPolicy, parseCsr, type CsrPublicKey, type KeyPolicy } from './csr.ts';
import { generateKeyPairSync, sign } from 'node:crypto';
import { encodeDer, encodeDerSequence, readDerChildren, readDerExact } from './der.ts';
import { generateKeyPair, type KeyAlgorithm } from './keys.ts';
import { encodeSubjectAltName, OID_SUBJECT_ALT_NAME } from './san.ts';
import { x509 } from './x509.ts';
import { rejectsWith } from '../../test/support/app-error.ts';

// The same rules on CSRs made by `openssl req`: test/integration/ca.csr-openssl.test.ts.

/** A DER CSR made in process with a fresh key, signed with `hash` (SHA-256 unless told). */
async function makeCsr(opts: { alg?: KeyAlgorithm; hash?: string; subject?: string; san?: Uint8Array }): Promise<Uint8Array> {
  const keys = await generateKeyPair(opts.alg ?? 'ecdsa-p256');
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    ...(opts.subject === undefined ? {} : { name: opts.subject }),
    signingAlgorithm: { name: keys.privateKey.algorithm.name, hash: opts.hash ?? 'SHA-256' },
    extensions: opts.san === undefined ? [] : [new x509.Extension(OID_SUBJECT_ALT_NAME, false, opts.san)],
  });
  return new Uint8Array(req.rawData);
}

const POLICY: KeyPolicy = { allowEc: ['P-256', 'P-384'], minRsaBits: 2048, maxRsaBits: 4096 };

describe('parseCsr', () => {
  test('reads a CSR made with @peculiar/x509 (P-384, SHA-384)', async () => {
    const keys = await generateKeyPair('ecdsa-p384');
    const req = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
      extensions: [new x509.Extension(OID_SUBJECT_ALT_NAME, false, encodeSubjectAltName(['b.example.org'], ['10.0.0.1', 'fe80::1']))],
    });
    const csr = await parseCsr(new Uint8Array(req.rawData));
    assert.deepEqual(csr.dnsNames, ['b.example.org']);
    assert.deepEqual(csr.ipAddresses, ['10.0.0.1', 'fe80::1']);
    assert.equal(csr.commonName, undefined);
    assert.equal(csr.publicKey.curve, 'P-384');
    // The key decoded from its JWK form is the CSR's key.
    assert.deepEqual(new Uint8Array(csr.key.export({ type: 'spki', format: 'der' })), csr.publicKey.spkiDer);
  });

  test('names are lowercased and de-duplicated, IPs canonical, and the CN read', async () => {
    const san = encodeSubjectAltName(['WWW.Example.COM', 'api.example.com', 'www.example.com'], ['192.0.2.7', '2001:DB8:0:0::5']);
    const csr = await parseCsr(await makeCsr({ subject: 'CN=WWW.Example.COM', san }));
    assert.deepEqual(csr.dnsNames, ['www.example.com', 'api.example.com']);
    assert.deepEqual(csr.ipAddresses, ['192.0.2.7', '2001:db8::5']);
    assert.equal(csr.commonName, 'www.example.com');
  });

  test('a tampered CSR is badCSR "CSR signature does not verify"', async () => {
    const der = await makeCsr({ san: encodeSubjectAltName(['good.example.com'], []) });
    const tampered = Buffer.from(der);
    const at = tampered.indexOf('good.example.com');
    assert.ok(at > 0);
    tampered[at] = 'e'.charCodeAt(0); // eood.example.com: same length, still valid DER
    await rejectsWith(parseCsr(new Uint8Array(tampered)), 'badCSR', /^CSR signature does not verify$/);
  });

  test('a signed CSR whose public key carries extra fields is badCSR: the key goes into the certificate as received', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [algorithm, bits] = readDerChildren(readDerExact(publicKey.export({ type: 'spki', format: 'der' })).value);
    const raw = (e: { start: number; end: number } | undefined, from: Uint8Array): Uint8Array => from.subarray(e?.start ?? 0, e?.end ?? 0);
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const body = readDerExact(spki).value;
    const junk = encodeDer(0x04, Buffer.from('junk'));
    const algorithmParts = readDerChildren((algorithm as { value: Uint8Array }).value);
    const cases: Array<[Uint8Array, RegExp]> = [
      [encodeDerSequence([raw(algorithm, body), raw(bits, body), junk]), /not a DER-encoded PKCS#10/],
      [encodeDerSequence([encodeDerSequence([...algorithmParts.map((p) => raw(p, (algorithm as { value: Uint8Array }).value)), junk]), raw(bits, body)]), /not a DER-encoded PKCS#10/],
    ];
    for (const [badSpki, message] of cases) {
      const tbs = encodeDerSequence([encodeDer(0x02, new Uint8Array([0])), encodeDerSequence([]), badSpki, encodeDer(0xa0, new Uint8Array(0))]);
      const signature = sign('sha256', tbs, privateKey);
      const ecdsaWithSha256 = encodeDerSequence([encodeDer(0x06, Buffer.from('2a8648ce3d040302', 'hex'))]);
      const csr = encodeDerSequence([tbs, ecdsaWithSha256, encodeDer(0x03, Buffer.concat([Buffer.from([0]), signature]))]);
      await rejectsWith(parseCsr(csr), 'badCSR', message);
    }
  });

  test('RSA (PKCS#1 v1.5 and PSS) and ECDSA signatures verify with node:crypto; tampered ones do not', async () => {
    const san = encodeSubjectAltName(['good.example.com'], []);
    const rsa = await makeCsr({ alg: 'rsa-2048', san });
    assert.equal((await parseCsr(rsa)).publicKey.kind, 'rsa');
    const keys = await globalThis.crypto.subtle.generateKey(
      { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign', 'verify'],
    );
    const pss = await x509.Pkcs10CertificateRequestGenerator.create({
      keys, signingAlgorithm: { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 },
      extensions: [new x509.Extension(OID_SUBJECT_ALT_NAME, false, san)],
    });
    assert.deepEqual((await parseCsr(new Uint8Array(pss.rawData))).dnsNames, ['good.example.com']);
    for (const der of [rsa, new Uint8Array(pss.rawData), await makeCsr({ alg: 'ecdsa-p384', hash: 'SHA-512', san })]) {
      const tampered = Buffer.from(der);
      tampered[tampered.indexOf('good.example.com')] = 'e'.charCodeAt(0);
      await rejectsWith(parseCsr(new Uint8Array(tampered)), 'badCSR', /^CSR signature does not verify$/);
    }
  });

  test('garbage is badCSR with a useful detail, never a TypeError', async () => {
    const valid = await makeCsr({ san: encodeSubjectAltName(['x.example'], []) });
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([0x30]),
      new TextEncoder().encode('-----BEGIN CERTIFICATE REQUEST-----'),
      new Uint8Array(crypto.getRandomValues(new Uint8Array(200))),
      valid.subarray(0, valid.length - 10), // truncated
      new Uint8Array([...valid, 0x00]), // trailing data
      new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]), // valid DER, wrong structure
    ];
    for (const der of cases) await rejectsWith(parseCsr(der), 'badCSR', /not a DER-encoded PKCS#10 certification request/);
  });

  test('email and URI SANs are refused; SHA-1 signatures are refused', async () => {
    const dns = encodeDer(0x82, Buffer.from('a.example'));
    const email = encodeDerSequence([dns, encodeDer(0x81, Buffer.from('x@a.example'))]);
    await rejectsWith(parseCsr(await makeCsr({ san: email })), 'badCSR', /rfc822Name \(email\) subjectAltName; only DNS names and IP addresses/);
    await rejectsWith(parseCsr(await makeCsr({ san: encodeDerSequence([encodeDer(0x86, Buffer.from('https://a.example/'))]) })), 'badCSR', /uniformResourceIdentifier/);
    await rejectsWith(parseCsr(await makeCsr({ san: encodeDerSequence([dns]), hash: 'SHA-1' })), 'badCSR', /signed with SHA-1; sign it with ECDSA or RSA using SHA-256/);
  });
});

describe('checkKeyPolicy', () => {
  test('curves, sizes and exponents outside the policy are refused', async () => {
    const p521: CsrPublicKey = { spkiDer: new Uint8Array(0), kind: 'ec', curve: 'P-521' };
    assert.throws(() => checkKeyPolicy(p521, POLICY), /ECDSA P-521 keys are not accepted; use ECDSA P-256, P-384 or RSA 2048-4096 bits/);
    checkKeyPolicy(p521, { ...POLICY, allowEc: ['P-521'] });
    const spkiDer = new Uint8Array(0);
    assert.throws(() => checkKeyPolicy({ spkiDer, kind: 'rsa', rsaBits: 8192 }, POLICY), /RSA 8192-bit keys/);
    assert.throws(() => checkKeyPolicy({ spkiDer, kind: 'rsa', rsaBits: 2049 }, POLICY), /RSA 2049-bit keys/);
    const e3: CsrPublicKey = { spkiDer, kind: 'rsa', rsaBits: 2048, rsaPublicExponent: 3n };
    assert.throws(() => checkKeyPolicy(e3, POLICY), /public exponent 3 is not accepted; use 65537/);
    assert.throws(() => checkKeyPolicy({ spkiDer, kind: 'ec', curve: 'P-256' }, { ...POLICY, allowEc: [] }), /use RSA 2048-4096 bits$/);
  });
});
