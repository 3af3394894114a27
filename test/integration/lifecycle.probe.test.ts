// TLS probes and discovery against real listeners on loopback: what is served, days left, the
// chain checked against one trust bundle and refused by another, name mismatch, drift, and the
// plain-words errors of a closed port, a silent one and one that does not speak TLS; discovery
// over a small 127.0.0.x range finds every certificate, including one made by openssl.
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import { after, before, test } from 'node:test';
import { discover } from '../../src/lifecycle/probe/discover.ts';
import { probeEndpoint } from '../../src/lifecycle/probe/probe.ts';
import type { CertificateMaterial } from '../../src/lifecycle/deploy/types.ts';
import { freePort } from '../support/free-port.ts';
import { materialCa, type MaterialCa } from '../support/lifecycle-material.ts';
import { createTestTlsCert } from '../support/tls-cert.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const servers: Array<{ close(cb: () => void): unknown }> = [];
let ca: MaterialCa;
let other: MaterialCa;
let served: CertificateMaterial;
let port = 0;
let dir = '';

function listen<T extends Server>(server: T, host: string, p: number): Promise<T> {
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, host, () => resolve(server));
  });
}

const tlsServer = (cert: string, key: string): Server => createTlsServer({ cert, key }, (socket) => socket.end());

before(async () => {
  ca = await materialCa('Probe Test');
  other = await materialCa('Someone Else');
  served = await ca.issue('web', ['a.probe.test', '127.0.0.1'], 10);
  port = await freePort();
  await listen(tlsServer(`${served.certPem}${served.chainPem}`, served.keyPem), '127.0.0.1', port);
  dir = await makeTempDir('probe');
});

after(async () => {
  await removeDir(dir);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

test('a probe reports the served leaf, its days left and a chain that verifies against its CA', async () => {
  const now = Date.now();
  const r = await probeEndpoint({ host: '127.0.0.1', port, servername: 'a.probe.test' }, { trust: ca.rootPem, expectedFingerprint256: served.fingerprint256, now });
  assert.equal(r.error, null);
  assert.equal(r.served?.fingerprint256, served.fingerprint256);
  assert.equal(r.served?.serial, served.serial);
  assert.deepEqual(r.served?.names, ['a.probe.test', '127.0.0.1']);
  assert.match(r.served?.issuer ?? '', /Probe Test Intermediate CA/);
  assert.equal(r.served?.notAfter, served.notAfter);
  assert.equal(r.daysLeft, 9, 'ten days less the hour since issuance, in whole days');
  assert.deepEqual([r.chainValid, r.chainError, r.nameMatch, r.drift], [true, null, true, false]);
});

test('the same chain is invalid against another trust bundle; another name does not match; another expectation is drift', async () => {
  const r = await probeEndpoint({ host: '127.0.0.1', port, servername: 'b.probe.test' }, { trust: other.rootPem, expectedFingerprint256: 'ab'.repeat(32), now: Date.now() });
  assert.equal(r.chainValid, false);
  assert.match(r.chainError ?? '', /UNABLE_TO_GET_ISSUER_CERT_LOCALLY|unable to get/i);
  assert.equal(r.nameMatch, false);
  assert.equal(r.drift, true);
  const byAddress = await probeEndpoint({ host: '127.0.0.1', port }, { trust: ca.rootPem, now: Date.now() });
  assert.deepEqual([byAddress.nameMatch, byAddress.drift], [true, null], 'the IP address is in the certificate; no expectation, no drift verdict');
  const later = await probeEndpoint({ host: '127.0.0.1', port }, { now: served.notAfter + 86_400_000 });
  assert.equal(later.daysLeft, -1, 'negative once expired');
});

test('a closed port, a silent one and one that does not speak TLS are results with the reason in plain words', async () => {
  const closed = await probeEndpoint({ host: '127.0.0.1', port: await freePort() }, { now: Date.now(), timeoutMs: 1_000 });
  assert.match(closed.error ?? '', /^connection refused by 127\.0\.0\.1:\d+: nothing listens on that port$/);
  assert.equal(closed.served, null);

  const silentPort = await freePort();
  // Reads (so it sees the client leave) and never answers.
  await listen(createTcpServer((socket) => socket.resume()), '127.0.0.1', silentPort);
  const started = Date.now();
  const silent = await probeEndpoint({ host: '127.0.0.1', port: silentPort }, { now: Date.now(), timeoutMs: 300 });
  assert.match(silent.error ?? '', /^no TLS answer from 127\.0\.0\.1:\d+ within 300 ms$/);
  assert.ok(Date.now() - started < 3_000);

  const httpPort = await freePort();
  await listen(createHttpServer((_req, res) => res.end('plain')), '127.0.0.1', httpPort);
  const plain = await probeEndpoint({ host: '127.0.0.1', port: httpPort }, { now: Date.now(), timeoutMs: 2_000 });
  assert.match(plain.error ?? '', /^127\.0\.0\.1:\d+ does not speak TLS on that port$/);
});

test('discovery over 127.0.0.0/30 on two ports lists every certificate found, whoever issued it', async () => {
  const foreign = await createTestTlsCert(dir, 'legacy.probe.test');
  const [p1, p2] = [await freePort(), await freePort()];
  await listen(tlsServer(`${served.certPem}${served.chainPem}`, served.keyPem), '127.0.0.1', p1);
  await listen(tlsServer(`${served.certPem}${served.chainPem}`, served.keyPem), '127.0.0.2', p1);
  await listen(tlsServer(await readFile(foreign.certPath, 'utf8'), await readFile(foreign.keyPath, 'utf8')), '127.0.0.3', p2);
  const found = await discover([`127.0.0.1/30:${p1}`, `127.0.0.1/30:${p2}`], { now: Date.now(), trust: ca.rootPem, timeoutMs: 1_000, concurrency: 4 });
  assert.deepEqual(found.map((r) => `${r.endpoint.host}:${r.endpoint.port}`), [`127.0.0.1:${p1}`, `127.0.0.2:${p1}`, `127.0.0.3:${p2}`]);
  assert.deepEqual(found.map((r) => r.chainValid), [true, true, false], 'the openssl certificate is not under the trust bundle');
  assert.match(found[2]?.served?.issuer ?? '', /legacy\.probe\.test test TLS CA/);
});
