// CA hierarchies (src/ca/hierarchy.ts) as OpenSSL sees them: the root and intermediate verify
// and carry the CA profile, and imported enterprise issuers (SEC1 keys, keyUsage) behave.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createHierarchy, importIssuer } from '../../src/ca/hierarchy.ts';
import { issueCertificate, randomSerialHex } from '../../src/ca/issue.ts';
import { generateKeyPair, importPrivateKey, type KeyAlgorithm } from '../../src/ca/keys.ts';
import { derToPem } from '../../src/ca/pem.ts';
import { opensslScratch } from '../support/openssl.ts';

const scratch = opensslScratch('hierarchy');
after(() => scratch.remove());
const openssl = scratch.run;

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

  test('rejects a CA certificate made by openssl whose keyUsage lacks cRLSign', async () => {
    const made = openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'nocrl.key', '-out', 'nocrl.pem', '-days', '30',
      '-subj', '/CN=No CRL CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
    ]);
    assert.equal(made.status, 0, made.out);
    await assert.rejects(
      importIssuer({ certChainPem: readFileSync(join(scratch.dir, 'nocrl.pem'), 'utf8'), keyPem: readFileSync(join(scratch.dir, 'nocrl.key'), 'utf8'), now: new Date() }),
      /lacks keyUsage keyCertSign and cRLSign/,
    );
  });
});
