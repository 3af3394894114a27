// CA options end to end: a subordinate of an existing enterprise root (import), RSA and P-384
// hierarchies, the listener on certificate files, and plain HTTP when TLS is off.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { AcmeClient, AcmeTransport } from '../../src/acme-client/client.ts';
import { startNode } from '../support/node.ts';
import { startHttp01Responder } from '../../src/acme-client/responder.ts';
import { makeTempDir } from '../support/tmp.ts';

const openssl = (args: string[], cwd: string): string => execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

async function issueIp(directoryUrl: string, ca: string | undefined, port: number, solver: Awaited<ReturnType<typeof startHttp01Responder>>): Promise<string> {
  const client = new AcmeClient(new AcmeTransport({ directoryUrl, ...(ca === undefined ? {} : { ca }) }), undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
  try {
    await client.createAccount();
    void port;
    return (await client.issue({ identifiers: [{ type: 'ip', value: '127.0.0.1' }], challengeType: 'http-01', solver })).certificatePem;
  } finally {
    client.transport.close();
  }
}

test('Certainty as a subordinate CA of an imported enterprise root', { timeout: 60_000 }, async () => {
  const dir = await makeTempDir('ca-import');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '30', '-subj', '/CN=Example Enterprise Root'], dir);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'sub.key', '-out', 'sub.csr', '-subj', '/CN=Certainty Issuing CA'], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  openssl(['x509', '-req', '-in', 'sub.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'sub.pem', '-days', '20', '-extfile', 'ext.cnf'], dir);
  execFileSync('sh', ['-c', 'cat sub.pem root.pem > chain.pem'], { cwd: dir });
  const responder = await startHttp01Responder();
  const node = await startNode({ set: { 'ca.importCertFile': join(dir, 'chain.pem'), 'ca.importKeyFile': join(dir, 'sub.key'), 'validation.http01Port': String(responder.port) } });
  try {
    assert.match(new X509Certificate(node.rootPem).subject, /Example Enterprise Root/);
    const pem = await issueIp(node.directoryUrl, node.rootPem, responder.port, responder);
    const [leaf, intermediate] = pem.split(/(?=-----BEGIN CERTIFICATE-----)/);
    writeFileSync(join(dir, 'leaf.pem'), leaf as string);
    writeFileSync(join(dir, 'int.pem'), intermediate as string);
    assert.match(new X509Certificate(intermediate as string).subject, /Certainty Issuing CA/);
    assert.match(openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'int.pem', 'leaf.pem'], dir), /leaf.pem: OK/);
    const leafCert = new X509Certificate(leaf as string);
    assert.ok(new Date(leafCert.validTo) <= new Date(new X509Certificate(intermediate as string).validTo), 'the leaf does not outlive its issuer');
  } finally {
    await node.stop();
    await responder.close();
  }
});

for (const algorithm of ['rsa-2048', 'ecdsa-p384'] as const) {
  test(`a new ${algorithm} hierarchy issues verifiable certificates`, { timeout: 60_000 }, async () => {
    const dir = await makeTempDir('ca-alg');
    const responder = await startHttp01Responder();
    const node = await startNode({ set: { 'ca.algorithm': algorithm, 'validation.http01Port': String(responder.port) } });
    try {
      const pem = await issueIp(node.directoryUrl, node.rootPem, responder.port, responder);
      const [leaf, intermediate] = pem.split(/(?=-----BEGIN CERTIFICATE-----)/);
      writeFileSync(join(dir, 'root.pem'), node.rootPem);
      writeFileSync(join(dir, 'leaf.pem'), leaf as string);
      writeFileSync(join(dir, 'int.pem'), intermediate as string);
      assert.match(openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'int.pem', 'leaf.pem'], dir), /OK/);
      const text = openssl(['x509', '-in', 'int.pem', '-noout', '-text'], dir);
      assert.match(text, algorithm === 'rsa-2048' ? /rsaEncryption[\s\S]*2048 bit/ : /secp384r1|P-384/);
    } finally {
      await node.stop();
      await responder.close();
    }
  });
}

test('the listener can use certificate files, or plain HTTP when TLS is off', { timeout: 60_000 }, async () => {
  const dir = await makeTempDir('tls-files');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-out', 'tls.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], dir);
  const files = await startNode({ set: { 'tls.certFile': join(dir, 'tls.pem'), 'tls.keyFile': join(dir, 'tls.key') } });
  try {
    const t = new AcmeTransport({ directoryUrl: files.directoryUrl, ca: execFileSync('cat', [join(dir, 'tls.pem')], { encoding: 'utf8' }) });
    assert.equal((await t.request('GET', files.directoryUrl)).status, 200, 'the configured certificate is served');
    t.close();
  } finally {
    await files.stop();
  }
  const plain = await startNode({ set: { 'tls.enabled': 'false' } });
  try {
    assert.match(plain.directoryUrl, /^http:\/\//);
    const status = await new Promise<number>((resolve, reject) => {
      request(plain.directoryUrl, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
    });
    assert.equal(status, 200);
  } finally {
    await plain.stop();
  }
});
