import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generateCrl, type CrlOptions } from './crl.ts';
import { createHierarchy } from './hierarchy.ts';
import { issueCertificate, randomSerialHex } from './issue.ts';
import { generateKeyPair, importPrivateKey, type KeyAlgorithm } from './keys.ts';
import { pemToDer } from './pem.ts';
import { x509 } from './x509.ts';

const dir = mkdtempSync(join(tmpdir(), 'certainty-crl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[], files: Record<string, string | Uint8Array> = {}): { status: number | null; out: string } {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const NOW = new Date('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;

async function ca(algorithm: KeyAlgorithm) {
  const h = await createHierarchy({ algorithm, name: 'Certainty', rootValidityDays: 3650, intermediateValidityDays: 365, now: NOW });
  const key = await importPrivateKey(h.intermediate.keyPkcs8);
  const base = { issuerCertPem: h.intermediate.certPem, issuerKey: key.privateKey, issuerAlgorithm: key.algorithm };
  return { ...h, key, base };
}

function crlOptions(base: Awaited<ReturnType<typeof ca>>['base'], overrides: Partial<CrlOptions> = {}): CrlOptions {
  return { ...base, crlNumber: 42n, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 24 * HOUR), entries: [], ...overrides };
}

describe('generateCrl', () => {
  const p256 = ca('ecdsa-p256');

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
    const other = await ca('ecdsa-p256');
    const crl = await generateCrl(crlOptions(base));
    const v = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'other.pem', '-noout'], { 'crl.der': crl.der, 'other.pem': other.intermediate.certPem });
    // OpenSSL 3.0 `crl` exits 0 on a bad signature, so judge by its message.
    assert.match(v.out, /verify failure/);
    assert.doesNotMatch(v.out, /verify OK/);
  });

  test('openssl verify -crl_check reports a revoked leaf as revoked and a good one as OK', async () => {
    const { base, root, intermediate } = await p256;
    const leafFor = async (name: string) => issueCertificate({
      ...base,
      subjectPublicKeySpki: new Uint8Array(await crypto.subtle.exportKey('spki', (await generateKeyPair('ecdsa-p256')).publicKey)),
      dnsNames: [name], ipAddresses: [], notBefore: NOW, notAfter: new Date(NOW.getTime() + 240 * HOUR),
      serialHex: randomSerialHex(), extKeyUsage: ['serverAuth'],
    });
    const revoked = await leafFor('revoked.example');
    const good = await leafFor('good.example');
    const revokedSerial = new x509.X509Certificate(revoked.der).serialNumber;
    const crl = await generateCrl(crlOptions(base, { entries: [{ serialHex: revokedSerial, revokedAt: NOW, reason: 4 }] }));
    const files = { 'root.pem': root.certPem, 'int.pem': intermediate.certPem, 'crl.pem': crl.pem, 'revoked.pem': revoked.pem, 'good.pem': good.pem };
    const args = (leaf: string) => ['verify', '-attime', String(NOW.getTime() / 1000 + 60), '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'int.pem', '-CRLfile', 'crl.pem', leaf];
    const bad = openssl(args('revoked.pem'), files);
    assert.notEqual(bad.status, 0);
    assert.match(bad.out, /certificate revoked/);
    const ok = openssl(args('good.pem'));
    assert.equal(ok.status, 0, ok.out);
  });

  test('an empty CRL omits revokedCertificates; RSA issuers and 20-octet CRL numbers work', async () => {
    const rsa = await ca('rsa-2048');
    const big = (1n << 159n) - 1n;
    const crl = await generateCrl(crlOptions(rsa.base, { crlNumber: big }));
    const text = openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text', '-CAfile', 'int.pem'], { 'crl.der': crl.der, 'int.pem': rsa.intermediate.certPem });
    assert.equal(text.status, 0, text.out);
    assert.match(text.out, /verify OK/);
    assert.match(text.out, /No Revoked Certificates/);
    assert.match(text.out, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text.out, new RegExp(`CRL Number: *\\n\\s+0x${big.toString(16).toUpperCase()}\\n`));
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
