import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createHierarchy } from './hierarchy.ts';
import { issueCertificate, randomSerialHex, type IssueOptions } from './issue.ts';
import { generateKeyPair, importPrivateKey, type KeyAlgorithm } from './keys.ts';
import { certNotAfter, certSerialHex, certSha256Hex, pemToDer, spkiSha256Hex } from './pem.ts';

const dir = mkdtempSync(join(tmpdir(), 'certainty-issue-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[], files: Record<string, string | Uint8Array> = {}): { status: number | null; out: string } {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const ATTIME = ['-attime', String(NOW.getTime() / 1000 + 60)];

async function setup(algorithm: KeyAlgorithm, intermediateValidityDays = 365) {
  const h = await createHierarchy({ algorithm, name: 'Certainty', rootValidityDays: 3650, intermediateValidityDays, now: NOW });
  const key = await importPrivateKey(h.intermediate.keyPkcs8);
  return { ...h, key };
}

async function spkiOf(alg: KeyAlgorithm): Promise<Uint8Array> {
  const pair = await generateKeyPair(alg);
  return new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function leafOptions(ca: Setup, overrides: Partial<IssueOptions> = {}): Promise<IssueOptions> {
  return {
    issuerCertPem: ca.intermediate.certPem,
    issuerKey: ca.key.privateKey,
    issuerAlgorithm: ca.key.algorithm,
    subjectPublicKeySpki: await spkiOf('ecdsa-p256'),
    dnsNames: ['www.example.com', 'example.com'],
    ipAddresses: ['192.0.2.10', '2001:db8:0:0:0:0:0:7'],
    notBefore: NOW,
    notAfter: new Date(NOW.getTime() + 90 * DAY),
    serialHex: randomSerialHex(),
    crlUrl: 'http://ca.example.test/crl/1.crl',
    extKeyUsage: ['serverAuth', 'clientAuth'],
    ...overrides,
  };
}

function verifyChain(ca: Setup, leafPem: string): { status: number | null; out: string } {
  return openssl(['verify', ...ATTIME, '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'root.pem', '-untrusted', 'int.pem', 'leaf.pem'], {
    'root.pem': ca.root.certPem, 'int.pem': ca.intermediate.certPem, 'leaf.pem': leafPem,
  });
}

describe('issueCertificate', () => {
  const p256 = setup('ecdsa-p256');

  test('a leaf for DNS and IP names verifies with openssl and has the expected extensions', async () => {
    const ca = await p256;
    const opts = await leafOptions(ca);
    const leaf = await issueCertificate(opts);
    assert.deepEqual(pemToDer(leaf.pem, 'CERTIFICATE'), leaf.der);
    const v = verifyChain(ca, leaf.pem);
    assert.equal(v.status, 0, v.out);
    assert.match(v.out, /leaf\.pem: OK/);

    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text']).out;
    assert.match(text, /Subject: CN = www\.example\.com\n/);
    assert.match(text, /Issuer: CN = Certainty Intermediate CA/);
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /Extended Key Usage: *\n\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /Subject Alternative Name: *\n\s+DNS:www\.example\.com, DNS:example\.com, IP Address:192\.0\.2\.10, IP Address:2001:DB8:0:0:0:0:0:7\n/);
    assert.match(text, /CRL Distribution Points: *\n\s+Full Name:\s+URI:http:\/\/ca\.example\.test\/crl\/1\.crl/);
    assert.match(text, /Subject Key Identifier/);
    const intText = openssl(['x509', '-in', 'int.pem', '-noout', '-text']).out;
    const intSki = /Subject Key Identifier: *\n\s+([0-9A-F:]+)/.exec(intText)?.[1];
    assert.equal(/Authority Key Identifier: *\n\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1], intSki);
    assert.doesNotMatch(text, /Subject Alternative Name: critical/);
    assert.match(text, /Not Before: Mar {2}1 12:00:00 2026 GMT\s+Not After : May 30 12:00:00 2026 GMT/);

    assert.equal(certSerialHex(leaf.pem), opts.serialHex);
    assert.equal(certNotAfter(leaf.der).toISOString(), '2026-05-30T12:00:00.000Z');
    assert.match(certSha256Hex(leaf.pem), /^[0-9a-f]{64}$/);
    const opensslPin = spawnSync('sh', ['-c', 'openssl x509 -in leaf.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r'], { cwd: dir, encoding: 'utf8' });
    assert.equal(spkiSha256Hex(leaf.pem), opensslPin.stdout.split(' ')[0]);
  });

  test('RSA subject keys get keyEncipherment; an RSA hierarchy issues verifiable leaves', async () => {
    const ca = await setup('rsa-2048');
    const leaf = await issueCertificate(await leafOptions(ca, { subjectPublicKeySpki: await spkiOf('rsa-2048'), extKeyUsage: ['serverAuth'] }));
    const v = verifyChain(ca, leaf.pem);
    assert.equal(v.status, 0, v.out);
    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text']).out;
    assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /Extended Key Usage: *\n\s+TLS Web Server Authentication\n/);
  });

  test('a P-384 hierarchy signs with ECDSA SHA-384', async () => {
    const ca = await setup('ecdsa-p384');
    const leaf = await issueCertificate(await leafOptions(ca, { subjectPublicKeySpki: await spkiOf('ecdsa-p384') }));
    const v = verifyChain(ca, leaf.pem);
    assert.equal(v.status, 0, v.out);
    assert.match(openssl(['x509', '-in', 'leaf.pem', '-noout', '-text']).out, /Signature Algorithm: ecdsa-with-SHA384/);
  });

  test('a first name longer than 64 characters gives an empty subject and a critical SAN', async () => {
    const ca = await p256;
    const long = `${'a'.repeat(60)}.example.com`;
    const { crlUrl: _noCrl, ...opts } = await leafOptions(ca, { dnsNames: [long], ipAddresses: [] });
    const leaf = await issueCertificate(opts);
    const v = verifyChain(ca, leaf.pem);
    assert.equal(v.status, 0, v.out);
    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text']).out;
    assert.match(text, /Subject: *\n/);
    assert.match(text, new RegExp(`Subject Alternative Name: critical\\s+DNS:${long.replace(/\./g, '\\.')}\\n`));
    assert.doesNotMatch(text, /CRL Distribution Points/);
  });

  test('an IP-only certificate has an empty subject; commonName must be one of the names', async () => {
    const ca = await p256;
    const leaf = await issueCertificate(await leafOptions(ca, { dnsNames: [], ipAddresses: ['::1'] }));
    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text'], { 'leaf.pem': leaf.pem }).out;
    assert.match(text, /Subject: *\n/);
    assert.match(text, /Subject Alternative Name: critical\s+IP Address:0:0:0:0:0:0:0:1\n/);
    const withCn = await issueCertificate(await leafOptions(ca, { commonName: 'example.com' }));
    assert.match(openssl(['x509', '-in', 'l.pem', '-noout', '-subject'], { 'l.pem': withCn.pem }).out, /subject=CN = example\.com/);
    await assert.rejects(issueCertificate(await leafOptions(ca, { commonName: 'other.example' })), /commonName "other\.example" is not one of the certificate's names/);
  });

  test('notAfter is clamped to the issuer notAfter', async () => {
    const ca = await setup('ecdsa-p256', 30);
    const leaf = await issueCertificate(await leafOptions(ca, { notAfter: new Date(NOW.getTime() + 90 * DAY) }));
    assert.deepEqual(certNotAfter(leaf.pem), certNotAfter(ca.intermediate.certPem));
  });

  test('notBefore is clamped to the issuer notBefore (a leaf never predates its issuer)', async () => {
    const ca = await p256;
    const leaf = await issueCertificate(await leafOptions(ca, { notBefore: new Date('2019-01-01T00:00:00Z') }));
    assert.equal(new X509Certificate(leaf.pem).validFrom, new X509Certificate(ca.intermediate.certPem).validFrom);
  });

  test('rejects bad serials, no names, and an issuer key that does not match the issuer certificate', async () => {
    const ca = await p256;
    await assert.rejects(issueCertificate(await leafOptions(ca, { serialHex: '80' + '00'.repeat(15) })), /serial .* first byte of 01-7f/);
    await assert.rejects(issueCertificate(await leafOptions(ca, { serialHex: '01'.repeat(21) })), /serial/);
    await assert.rejects(issueCertificate(await leafOptions(ca, { dnsNames: [], ipAddresses: [] })), /at least one DNS name or IP address/);
    const other = await generateKeyPair('ecdsa-p256');
    await assert.rejects(issueCertificate(await leafOptions(ca, { issuerKey: other.privateKey })), /issuerKey does not match issuerCertPem/);
  });
});

test('randomSerialHex: 16 bytes, positive, minimal, distinct', () => {
  const serials = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const s = randomSerialHex();
    assert.match(s, /^[0-7][0-9a-f]{31}$/);
    assert.notEqual(s.slice(0, 2), '00');
    serials.add(s);
  }
  assert.equal(serials.size, 2000);
});
