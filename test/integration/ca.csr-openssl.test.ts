// CSRs made by `openssl req` (the way most operators and clients make them) as parseCsr and
// the key policy read them; the same rules on CSRs made in process are in src/ca/csr.test.ts.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkKeyPolicy, parseCsr, type KeyPolicy } from '../../src/ca/csr.ts';
import { generateKeyPair } from '../../src/ca/keys.ts';
import { encodeSubjectAltName, OID_SUBJECT_ALT_NAME } from '../../src/ca/san.ts';
import { x509 } from '../../src/ca/x509.ts';
import { AppError } from '../../src/errors.ts';
import { opensslScratch } from '../support/openssl.ts';
import { rejectsWith } from '../support/app-error.ts';

const openssl = opensslScratch('csr');
after(() => openssl.remove());

/** A DER CSR made by `openssl req`, with a fresh key of `newkey` (e.g. "rsa:2048") or EC `curve`. */
function opensslCsr(opts: { newkey?: string; curve?: string; subj?: string; san?: string; digest?: string }): Uint8Array {
  const args = ['req', '-new', '-nodes', '-keyout', 'k.pem', '-out', 'csr.der', '-outform', 'DER', '-subj', opts.subj ?? '/'];
  args.push(...(opts.curve !== undefined ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${opts.curve}`] : ['-newkey', opts.newkey ?? 'rsa:2048']));
  if (opts.san !== undefined) args.push('-addext', `subjectAltName=${opts.san}`);
  if (opts.digest !== undefined) args.push(`-${opts.digest}`);
  const r = openssl.run(args);
  assert.equal(r.status, 0, r.out);
  return new Uint8Array(readFileSync(join(openssl.dir, 'csr.der')));
}

const POLICY: KeyPolicy = { allowEc: ['P-256', 'P-384'], minRsaBits: 2048, maxRsaBits: 4096 };

describe('parseCsr of openssl CSRs', () => {
  test('reads an openssl EC CSR: SANs lowercased and de-duplicated, IPs canonical, CN, key', async () => {
    const der = opensslCsr({ curve: 'P-256', subj: '/CN=WWW.Example.COM', san: 'DNS:WWW.Example.COM,DNS:api.example.com,DNS:www.example.com,IP:192.0.2.7,IP:2001:DB8:0:0::5' });
    const csr = await parseCsr(der);
    assert.deepEqual(csr.dnsNames, ['www.example.com', 'api.example.com']);
    assert.deepEqual(csr.ipAddresses, ['192.0.2.7', '2001:db8::5']);
    assert.equal(csr.commonName, 'www.example.com');
    assert.equal(csr.publicKey.kind, 'ec');
    assert.equal(csr.publicKey.curve, 'P-256');
    assert.equal(csr.der, der);
    // The SPKI is the key openssl generated.
    const pub = openssl.run(['pkey', '-in', 'k.pem', '-pubout', '-outform', 'DER']);
    assert.deepEqual(Buffer.from(csr.publicKey.spkiDer), pub.stdout);
    checkKeyPolicy(csr.publicKey, POLICY);
  });

  test('reads an openssl RSA CSR with no SAN and no CN', async () => {
    const csr = await parseCsr(opensslCsr({ newkey: 'rsa:2048' }));
    assert.deepEqual([csr.dnsNames, csr.ipAddresses, csr.commonName], [[], [], undefined]);
    assert.equal(csr.publicKey.kind, 'rsa');
    assert.equal(csr.publicKey.rsaBits, 2048);
    assert.equal(csr.publicKey.rsaPublicExponent, 65537n);
  });

  test('email and URI SANs are refused; SHA-1 signatures are refused', async () => {
    await rejectsWith(parseCsr(opensslCsr({ curve: 'P-256', san: 'DNS:a.example,email:x@a.example' })), 'badCSR', /rfc822Name \(email\) subjectAltName; only DNS names and IP addresses/);
    await rejectsWith(parseCsr(opensslCsr({ curve: 'P-256', san: 'URI:https://a.example/' })), 'badCSR', /uniformResourceIdentifier/);
    await rejectsWith(parseCsr(opensslCsr({ curve: 'P-256', san: 'DNS:a.example', digest: 'sha1' })), 'badCSR', /signed with SHA-1; sign it with ECDSA or RSA using SHA-256/);
  });

  test('Ed25519 CSR keys are badPublicKey', async () => {
    await rejectsWith(parseCsr(opensslCsr({ newkey: 'ed25519', san: 'DNS:a.example' })), 'badPublicKey', /ed25519 keys are not supported; use an ECDSA \(P-256, P-384\) or RSA key/);
  });

  test('openssl verifies a CSR parseCsr accepts from @peculiar/x509 (P-384, SHA-384)', async () => {
    const keys = await generateKeyPair('ecdsa-p384');
    const req = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
      extensions: [new x509.Extension(OID_SUBJECT_ALT_NAME, false, encodeSubjectAltName(['b.example.org'], ['10.0.0.1']))],
    });
    const csr = await parseCsr(new Uint8Array(req.rawData));
    const v = openssl.run(['req', '-inform', 'DER', '-verify', '-noout'], {}, csr.der);
    assert.match(v.out, /verify OK/i);
  });
});

describe('checkKeyPolicy of openssl CSRs', () => {
  test('a 1024-bit RSA key from an openssl CSR is badPublicKey naming what is accepted', async () => {
    const csr = await parseCsr(opensslCsr({ newkey: 'rsa:1024', san: 'DNS:weak.example' }));
    assert.equal(csr.publicKey.rsaBits, 1024);
    assert.throws(() => checkKeyPolicy(csr.publicKey, POLICY), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'badPublicKey');
      assert.equal(err.detail, 'RSA 1024-bit keys are not accepted; use ECDSA P-256, P-384 or RSA 2048-4096 bits');
      return true;
    });
  });

  test('a P-521 key from an openssl CSR is refused unless the policy allows the curve', async () => {
    const p521 = await parseCsr(opensslCsr({ curve: 'P-521', san: 'DNS:a.example' }));
    assert.equal(p521.publicKey.curve, 'P-521');
    assert.throws(() => checkKeyPolicy(p521.publicKey, POLICY), /ECDSA P-521 keys are not accepted; use ECDSA P-256, P-384 or RSA 2048-4096 bits/);
    checkKeyPolicy(p521.publicKey, { ...POLICY, allowEc: ['P-521'] });
  });
});
