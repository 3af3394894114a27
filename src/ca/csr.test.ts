import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AppError, type ErrorCode } from '../errors.ts';
import { checkKeyPolicy, parseCsr, type CsrPublicKey, type KeyPolicy } from './csr.ts';
import { generateKeyPair } from './keys.ts';
import { encodeSubjectAltName, OID_SUBJECT_ALT_NAME } from './san.ts';
import { x509 } from './x509.ts';

const dir = mkdtempSync(join(tmpdir(), 'certainty-csr-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A DER CSR made by `openssl req`, with a fresh key of `newkey` (e.g. "rsa:2048") or EC `curve`. */
function opensslCsr(opts: { newkey?: string; curve?: string; subj?: string; san?: string; digest?: string }): Uint8Array {
  const args = ['req', '-new', '-nodes', '-keyout', 'k.pem', '-out', 'csr.der', '-outform', 'DER', '-subj', opts.subj ?? '/'];
  args.push(...(opts.curve !== undefined ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${opts.curve}`] : ['-newkey', opts.newkey ?? 'rsa:2048']));
  if (opts.san !== undefined) args.push('-addext', `subjectAltName=${opts.san}`);
  if (opts.digest !== undefined) args.push(`-${opts.digest}`);
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return new Uint8Array(readFileSync(join(dir, 'csr.der')));
}

/** Asserts `promise` rejects with an AppError of `code` whose detail matches `detail`. */
async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, detail: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.detail, detail);
    return true;
  });
}

const POLICY: KeyPolicy = { allowEc: ['P-256', 'P-384'], minRsaBits: 2048, maxRsaBits: 4096 };

describe('parseCsr', () => {
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
    const pub = spawnSync('openssl', ['pkey', '-in', 'k.pem', '-pubout', '-outform', 'DER'], { cwd: dir });
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
    // openssl agrees the CSR is well-formed and self-signed.
    const v = spawnSync('openssl', ['req', '-inform', 'DER', '-verify', '-noout'], { input: Buffer.from(csr.der), encoding: 'utf8' });
    assert.match(`${v.stdout}${v.stderr}`, /verify OK/i);
  });

  test('a tampered CSR is badCSR "CSR signature does not verify"', async () => {
    const der = opensslCsr({ curve: 'P-256', san: 'DNS:good.example.com' });
    const tampered = Buffer.from(der);
    const at = tampered.indexOf('good.example.com');
    assert.ok(at > 0);
    tampered[at] = 'e'.charCodeAt(0); // eood.example.com: same length, still valid DER
    await rejectsWith(parseCsr(new Uint8Array(tampered)), 'badCSR', /^CSR signature does not verify$/);
  });

  test('garbage is badCSR with a useful detail, never a TypeError', async () => {
    const valid = opensslCsr({ curve: 'P-256', san: 'DNS:x.example' });
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
    await rejectsWith(parseCsr(opensslCsr({ curve: 'P-256', san: 'DNS:a.example,email:x@a.example' })), 'badCSR', /rfc822Name \(email\) subjectAltName; only DNS names and IP addresses/);
    await rejectsWith(parseCsr(opensslCsr({ curve: 'P-256', san: 'URI:https://a.example/' })), 'badCSR', /uniformResourceIdentifier/);
    await rejectsWith(parseCsr(opensslCsr({ curve: 'P-256', san: 'DNS:a.example', digest: 'sha1' })), 'badCSR', /signed with SHA-1; sign it with ECDSA or RSA using SHA-256/);
  });

  test('Ed25519 CSR keys are badPublicKey', async () => {
    await rejectsWith(parseCsr(opensslCsr({ newkey: 'ed25519', san: 'DNS:a.example' })), 'badPublicKey', /ed25519 keys are not supported; use an ECDSA \(P-256, P-384\) or RSA key/);
  });
});

describe('checkKeyPolicy', () => {
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

  test('curves, sizes and exponents outside the policy are refused', async () => {
    const p521 = await parseCsr(opensslCsr({ curve: 'P-521', san: 'DNS:a.example' }));
    assert.equal(p521.publicKey.curve, 'P-521');
    assert.throws(() => checkKeyPolicy(p521.publicKey, POLICY), /ECDSA P-521 keys are not accepted; use ECDSA P-256, P-384 or RSA 2048-4096 bits/);
    checkKeyPolicy(p521.publicKey, { ...POLICY, allowEc: ['P-521'] });
    const spkiDer = new Uint8Array(0);
    assert.throws(() => checkKeyPolicy({ spkiDer, kind: 'rsa', rsaBits: 8192 }, POLICY), /RSA 8192-bit keys/);
    assert.throws(() => checkKeyPolicy({ spkiDer, kind: 'rsa', rsaBits: 2049 }, POLICY), /RSA 2049-bit keys/);
    const e3: CsrPublicKey = { spkiDer, kind: 'rsa', rsaBits: 2048, rsaPublicExponent: 3n };
    assert.throws(() => checkKeyPolicy(e3, POLICY), /public exponent 3 is not accepted; use 65537/);
    assert.throws(() => checkKeyPolicy({ spkiDer, kind: 'ec', curve: 'P-256' }, { ...POLICY, allowEc: [] }), /use RSA 2048-4096 bits$/);
  });
});
