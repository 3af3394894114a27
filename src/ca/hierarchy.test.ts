import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createHierarchy, importIssuer } from './hierarchy.ts';
import { issueCertificate, randomSerialHex } from './issue.ts';
import { AppError } from '../errors.ts';
import { exportPkcs8, generateKeyPair, importPrivateKey, type KeyAlgorithm } from './keys.ts';
import { certNotAfter, derToPem } from './pem.ts';
import { x509 } from './x509.ts';

const dir = mkdtempSync(join(tmpdir(), 'certainty-hierarchy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs openssl in the scratch directory after writing `files` there; returns exit status and output. */
function openssl(args: string[], files: Record<string, string | Uint8Array> = {}): { status: number | null; out: string } {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;

function pkcs8Pem(der: Uint8Array): string {
  return derToPem(der, 'PRIVATE KEY');
}

describe('createHierarchy', () => {
  for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as KeyAlgorithm[]) {
    test(`${algorithm}: root and intermediate verify with openssl and carry the CA profile`, async () => {
      const { root, intermediate } = await createHierarchy({ algorithm, name: 'Certainty', rootValidityDays: 3650, intermediateValidityDays: 1825, now: NOW });
      const attime = ['-attime', String(NOW.getTime() / 1000)];
      const v = openssl(['verify', ...attime, '-x509_strict', '-CAfile', 'root.pem', 'int.pem'], { 'root.pem': root.certPem, 'int.pem': intermediate.certPem });
      assert.equal(v.status, 0, v.out);
      assert.match(v.out, /int\.pem: OK/);

      const rootText = openssl(['x509', '-in', 'root.pem', '-noout', '-text']).out;
      assert.match(rootText, /Issuer: CN = Certainty Root CA/);
      assert.match(rootText, /Subject: CN = Certainty Root CA/);
      assert.match(rootText, /Basic Constraints: critical\s+CA:TRUE\n/);
      assert.match(rootText, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
      assert.match(rootText, /Subject Key Identifier/);
      assert.match(rootText, /Not Before: Mar {2}1 11:00:00 2026 GMT/); // now - 1 hour
      const rootSki = /Subject Key Identifier: *\n\s+([0-9A-F:]+)/.exec(rootText)?.[1];

      const intText = openssl(['x509', '-in', 'int.pem', '-noout', '-text']).out;
      assert.match(intText, /Issuer: CN = Certainty Root CA/);
      assert.match(intText, /Subject: CN = Certainty Intermediate CA/);
      assert.match(intText, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      assert.match(intText, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
      assert.equal(/Authority Key Identifier: *\n\s+(?:keyid:)?([0-9A-F:]+)/.exec(intText)?.[1], rootSki);
      assert.match(intText, /Not After : Feb 28 12:00:00 2031 GMT/);
      assert.match(intText, algorithm === 'ecdsa-p384' ? /ecdsa-with-SHA384/ : algorithm === 'rsa-2048' ? /sha256WithRSAEncryption/ : /ecdsa-with-SHA256/);
      // Serials are 16 bytes, positive.
      assert.match(intText, /Serial Number:\s*\n\s+[0-7][0-9a-f](:[0-9a-f]{2}){15}\n/);

      // The stored keys are the certificates' keys.
      for (const [m, file] of [[root, 'root.pem'], [intermediate, 'int.pem']] as const) {
        const keyPub = openssl(['pkey', '-in', 'k.pem', '-pubout'], { 'k.pem': pkcs8Pem(m.keyPkcs8) }).out;
        assert.equal(openssl(['x509', '-in', file, '-noout', '-pubkey']).out, keyPub);
      }
    });
  }

  test('rejects an intermediate that would outlive the root', async () => {
    await assert.rejects(
      createHierarchy({ algorithm: 'ecdsa-p256', name: 'X', rootValidityDays: 10, intermediateValidityDays: 11, now: NOW }),
      /intermediateValidityDays \(11\) must not exceed rootValidityDays \(10\)/,
    );
  });
});

describe('importIssuer', () => {
  const setup = (async () => {
    const { root, intermediate } = await createHierarchy({ algorithm: 'ecdsa-p256', name: 'Enterprise', rootValidityDays: 3650, intermediateValidityDays: 365, now: NOW });
    const other = await createHierarchy({ algorithm: 'ecdsa-p256', name: 'Other', rootValidityDays: 3650, intermediateValidityDays: 365, now: NOW });
    return { root, intermediate, other };
  })();

  test('accepts an intermediate with its chain and a SEC1 key, and the result issues verifiable leaves', async () => {
    const { root, intermediate } = await setup;
    const sec1 = openssl(['ec', '-in', 'k.pem'], { 'k.pem': pkcs8Pem(intermediate.keyPkcs8) }).out;
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    const imported = await importIssuer({ certChainPem: intermediate.certPem + root.certPem, keyPem: sec1, now: NOW });
    assert.equal(imported.certPem, intermediate.certPem);
    assert.deepEqual(imported.chainPem, [root.certPem]);

    const key = await importPrivateKey(imported.keyPkcs8);
    const leafKeys = await generateKeyPair('ecdsa-p256');
    const leaf = await issueCertificate({
      issuerCertPem: imported.certPem, issuerKey: key.privateKey, issuerAlgorithm: key.algorithm,
      subjectPublicKeySpki: new Uint8Array(await crypto.subtle.exportKey('spki', leafKeys.publicKey)),
      dnsNames: ['svc.corp.example'], ipAddresses: [], notBefore: NOW, notAfter: new Date(NOW.getTime() + 30 * DAY),
      serialHex: randomSerialHex(), extKeyUsage: ['serverAuth'],
    });
    const v = openssl(['verify', '-attime', String(NOW.getTime() / 1000), '-CAfile', 'root.pem', '-untrusted', 'int.pem', 'leaf.pem'], {
      'root.pem': imported.chainPem[0] ?? '', 'int.pem': imported.certPem, 'leaf.pem': leaf.pem,
    });
    assert.equal(v.status, 0, v.out);
  });

  test('rejects a certificate that is not a CA', async () => {
    const { intermediate } = await setup;
    const key = await importPrivateKey(intermediate.keyPkcs8);
    const leafKeys = await generateKeyPair('ecdsa-p256');
    const leaf = await issueCertificate({
      issuerCertPem: intermediate.certPem, issuerKey: key.privateKey, issuerAlgorithm: key.algorithm,
      subjectPublicKeySpki: new Uint8Array(await crypto.subtle.exportKey('spki', leafKeys.publicKey)),
      dnsNames: ['not-a-ca.example'], ipAddresses: [], notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY),
      serialHex: randomSerialHex(), extKeyUsage: ['serverAuth'],
    });
    await assert.rejects(
      importIssuer({ certChainPem: leaf.pem, keyPem: pkcs8Pem(await exportPkcs8(leafKeys.privateKey)), now: NOW }),
      // An operator error: a plain Error, not a client-facing AppError.
      (err: unknown) => err instanceof Error && !(err instanceof AppError)
        && /"CN=not-a-ca\.example".* is not a CA certificate \(basicConstraints cA is not true\)/.test(err.message),
    );
  });

  test('rejects a key that does not match the certificate', async () => {
    const { intermediate, other } = await setup;
    await assert.rejects(
      importIssuer({ certChainPem: intermediate.certPem, keyPem: pkcs8Pem(other.intermediate.keyPkcs8), now: NOW }),
      /the private key does not match the public key of the issuing CA certificate "CN=Enterprise Intermediate CA"/,
    );
  });

  test('rejects an expired CA, a CA without cRLSign, a misordered chain and an empty file', async () => {
    const { root, intermediate } = await setup;
    const keyPem = pkcs8Pem(intermediate.keyPkcs8);
    await assert.rejects(
      importIssuer({ certChainPem: intermediate.certPem, keyPem, now: new Date(certNotAfter(intermediate.certPem).getTime() + 1000) }),
      /expired at .*; have the enterprise CA issue a new one/,
    );
    await assert.rejects(importIssuer({ certChainPem: root.certPem + intermediate.certPem, keyPem, now: NOW }), /did not sign certificate 1 .*order the file from the issuing CA up towards the root/);
    await assert.rejects(importIssuer({ certChainPem: 'nothing here', keyPem, now: NOW }), /holds no PEM CERTIFICATE block/);

    // A CA certificate whose keyUsage lacks cRLSign, made with openssl.
    const made = openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'nocrl.key', '-out', 'nocrl.pem', '-days', '30',
      '-subj', '/CN=No CRL CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
    ]);
    assert.equal(made.status, 0, made.out);
    await assert.rejects(
      importIssuer({ certChainPem: readFileSync(join(dir, 'nocrl.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'nocrl.key'), 'utf8'), now: new Date() }),
      /lacks keyUsage keyCertSign and cRLSign/,
    );
  });

  test('the imported certificate keeps its exact encoding', async () => {
    const { root, intermediate } = await setup;
    const imported = await importIssuer({ certChainPem: `\r\n${intermediate.certPem.replace(/\n/g, '\r\n')}${root.certPem}`, keyPem: pkcs8Pem(intermediate.keyPkcs8), now: NOW });
    assert.deepEqual(new x509.X509Certificate(imported.certPem).rawData, new x509.X509Certificate(intermediate.certPem).rawData);
  });
});
