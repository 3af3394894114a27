import * as assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { createHierarchy, importIssuer } from './hierarchy.ts';
import { issueCertificate, randomSerialHex } from './issue.ts';
import { AppError } from '../errors.ts';
import { exportPkcs8, generateKeyPair, importPrivateKey } from './keys.ts';
import { certNotAfter, derToPem } from './pem.ts';
import { x509 } from './x509.ts';

// What OpenSSL says of the hierarchy, imported issuers and their leaves: test/integration/ca.hierarchy-openssl.test.ts.

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;

function pkcs8Pem(der: Uint8Array): string {
  return derToPem(der, 'PRIVATE KEY');
}

describe('createHierarchy', () => {
  test('the intermediate is a CA signed by the root, and each stored key is its certificate\'s', async () => {
    const { root, intermediate } = await createHierarchy({ algorithm: 'ecdsa-p256', name: 'Certainty', rootValidityDays: 3650, intermediateValidityDays: 1825, now: NOW });
    const [rootCert, intCert] = [new X509Certificate(root.certPem), new X509Certificate(intermediate.certPem)];
    assert.equal(rootCert.ca && intCert.ca, true);
    assert.equal(intCert.checkIssued(rootCert) && intCert.verify(rootCert.publicKey) && rootCert.verify(rootCert.publicKey), true);
    for (const [m, cert] of [[root, rootCert], [intermediate, intCert]] as const) {
      assert.equal(cert.checkPrivateKey(createPrivateKey({ key: Buffer.from(m.keyPkcs8), format: 'der', type: 'pkcs8' })), true);
    }
  });

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

  test('rejects an expired CA, a misordered chain and an empty file', async () => {
    const { root, intermediate } = await setup;
    const keyPem = pkcs8Pem(intermediate.keyPkcs8);
    await assert.rejects(
      importIssuer({ certChainPem: intermediate.certPem, keyPem, now: new Date(certNotAfter(intermediate.certPem).getTime() + 1000) }),
      /expired at .*; have the enterprise CA issue a new one/,
    );
    await assert.rejects(importIssuer({ certChainPem: root.certPem + intermediate.certPem, keyPem, now: NOW }), /did not sign certificate 1 .*order the file from the issuing CA up towards the root/);
    await assert.rejects(importIssuer({ certChainPem: 'nothing here', keyPem, now: NOW }), /holds no PEM CERTIFICATE block/);

  });

  test('the imported certificate keeps its exact encoding', async () => {
    const { root, intermediate } = await setup;
    const imported = await importIssuer({ certChainPem: `\r\n${intermediate.certPem.replace(/\n/g, '\r\n')}${root.certPem}`, keyPem: pkcs8Pem(intermediate.keyPkcs8), now: NOW });
    assert.deepEqual(new x509.X509Certificate(imported.certPem).rawData, new x509.X509Certificate(intermediate.certPem).rawData);
  });
});
