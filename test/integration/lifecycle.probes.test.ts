// Scheduled TLS probes and discovery against a real TLS server on loopback: a managed certificate
// from the local issuer is deployed to files that the server serves; a probe added through the CLI
// is run by the probes duty and finds it healthy; the server then serves another certificate, and
// the duty raises drift, told to a webhook receiver; discovery over 127.0.0.1 finds both
// certificates and tells which one this CA issued; the inventory keeps them. A probe of a closed
// port is told unreachable (by webhook) only after two failed probes in a row, once however many
// follow, and resolved when a TLS server starts listening there.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { testCli } from '../support/cli.ts';
import { freePort } from '../support/free-port.ts';
import { materialCa } from '../support/lifecycle-material.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Records the body of every POST. */
async function startReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

async function startTls(cert: string, key: string, at?: number): Promise<{ server: TlsServer; port: number }> {
  const server = createTlsServer({ cert, key }, (socket) => socket.end());
  const port = at ?? (await freePort());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { server, port };
}

const closeTls = (s: TlsServer | undefined): Promise<void> => new Promise((r) => (s ? s.close(() => r()) : r()));
const WAIT = { timeoutMs: 90_000, intervalMs: 500 };

for (const dialect of dialects()) {
  describe(`TLS probes and discovery (${dialect})`, { timeout: 300_000 }, () => {
    let dir: string;
    let node: TestNode;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let probed: { server: TlsServer; port: number } | undefined;
    let original: { server: TlsServer; port: number } | undefined;
    let revived: { server: TlsServer; port: number } | undefined;
    let env: Record<string, string>;
    const { cli, cliOk } = testCli(() => env);
    const probe = async (name: string): Promise<Json> => JSON.parse(await cliOk('probe', 'show', name, '--json'));

    before(async () => {
      dir = await makeTempDir('lifecycle-probes');
      receiver = await startReceiver();
      const databaseUrl = await freshDatabaseUrl(dialect);
      node = await startNode({ databaseUrl, set: { 'tls.enabled': 'false', 'policy.allowedDomains': 'probe.test', 'lifecycle.checkPeriodMs': '1000' } });
      env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    });
    after(async () => {
      await closeTls(probed?.server);
      await closeTls(original?.server);
      await closeTls(revived?.server);
      await node?.stop();
      await receiver?.close();
      if (dir) await removeDir(dir);
    });

    test('the duty probes a deployed managed certificate, then raises drift (told by webhook) when another is served', async () => {
      const fullchain = join(dir, 'fullchain.pem');
      const key = join(dir, 'key.pem');
      writeFileSync(join(dir, 'targets.json'), JSON.stringify([{ type: 'file', fullchainPath: fullchain, keyPath: key }]));
      await cliOk('issuer', 'add', 'own', '--kind', 'local');
      await cliOk('managed', 'add', 'web', '--issuer', 'own', '--name', 'www.probe.test', '--validity-days', '30', '--targets', join(dir, 'targets.json'));
      await waitFor(async () => (existsSync(fullchain) && existsSync(key) ? true : undefined), { what: 'the deployed files', ...WAIT });
      probed = await startTls(readFileSync(fullchain, 'utf8'), readFileSync(key, 'utf8'));

      writeFileSync(join(dir, 'hook-key'), 'a-probe-webhook-key-0123456789\n');
      await cliOk('notify', 'add', 'hook', '--type', 'webhook', '--url', `${receiver.url}/hook`, '--secret-file', join(dir, 'hook-key'), '--event', 'drift');
      writeFileSync(join(dir, 'root.pem'), node.rootPem);
      const added = await cliOk('probe', 'add', 'web', '--host', '127.0.0.1', '--port', String(probed.port), '--sni', 'www.probe.test',
        '--trust', join(dir, 'root.pem'), '--expect', 'web', '--interval', '5s');
      assert.match(added, /^Added probe web of 127\.0\.0\.1:\d+, every 5 s/);

      const healthy = await waitFor(async () => {
        const p = await probe('web');
        return p.last !== null ? p : undefined;
      }, { what: 'the first probe by the duty', ...WAIT });
      assert.equal(healthy.last.outcome, 'ok', JSON.stringify(healthy.last));
      assert.deepEqual([healthy.last.chainValid, healthy.last.nameMatch, healthy.last.drift, healthy.last.error], [true, true, false, null]);
      assert.ok(healthy.last.daysLeft >= 28 && healthy.last.daysLeft <= 30, `days left ${healthy.last.daysLeft}`);
      assert.match(await cliOk('probe', 'list'), /web +127\.0\.0\.1:\d+ .* ok /);

      const other = await (await materialCa('Somebody Else')).issue('other', ['www.probe.test'], 10);
      probed.server.setSecureContext({ cert: `${other.certPem}${other.chainPem}`, key: other.keyPem });
      const drifted = await waitFor(async () => {
        const p = await probe('web');
        return p.last?.drift === true ? p : undefined;
      }, { what: 'drift found by the duty', ...WAIT });
      assert.equal(drifted.last.outcome, 'problem');
      assert.equal(drifted.last.fingerprint256, other.fingerprint256);
      assert.equal(drifted.last.chainValid, false, 'the other chain does not lead to this CA');
      assert.match(drifted.last.error, /not the expected one/);

      const told = await waitFor(async () => receiver.bodies.map((b) => JSON.parse(b) as Json).find((e) => e.event === 'drift'), { what: 'the drift webhook', ...WAIT });
      assert.equal(told.name, 'web');
      assert.match(JSON.stringify(told), new RegExp(`serves serial ${other.serial}`));

      const shown = await cliOk('probe', 'run', 'web');
      assert.match(shown, /drift +yes/);
      assert.match(shown, /chain valid +no/);
    });

    test('discovery over 127.0.0.1 finds both certificates, tells which one this CA issued, and keeps them', async () => {
      assert.ok(probed, 'the first test started the probed server');
      original = await startTls(readFileSync(join(dir, 'fullchain.pem'), 'utf8'), readFileSync(join(dir, 'key.pem'), 'utf8'));
      const found = JSON.parse(await cliOk('discover', '--targets', `127.0.0.1:${original.port}`, '--range', `127.0.0.0/30:${probed.port}`, '--save', '--json')) as Json[];
      assert.deepEqual(found.map((c) => [c.endpoint, c.issuedHere]).sort(), [[`127.0.0.1:${original.port}`, true], [`127.0.0.1:${probed.port}`, false]].sort());
      const ours = found.find((c) => c.issuedHere);
      assert.deepEqual(ours.names, ['www.probe.test']);

      await cliOk('discover', '--targets', `127.0.0.1:${original.port}`, '--save');
      const inventory = JSON.parse(await cliOk('discover', 'list', '--json')) as Json[];
      assert.equal(inventory.length, 2, 'the same certificate on the same endpoint is one row');
      const kept = inventory.find((c) => c.endpoint === `127.0.0.1:${original?.port}`);
      assert.ok(kept.lastSeen >= kept.firstSeen);
      assert.match(await cliOk('discover', 'list'), /ISSUED HERE/);

      const tooBig = await cli('discover', '--range', '10.0.0.0/16:443');
      assert.notEqual(tooBig.code, 0);
      assert.match(tooBig.stderr, /above 1024 endpoints: narrow the range or split the scan/);
    });

    test('a closed port is told unreachable after two failed probes in a row, once, and resolved when a server listens', async () => {
      const port = await freePort();
      writeFileSync(join(dir, 'down-key'), 'a-probe-down-webhook-key-0123456789\n');
      await cliOk('notify', 'add', 'down', '--type', 'webhook', '--url', `${receiver.url}/down`, '--secret-file', join(dir, 'down-key'), '--event', 'probe-unreachable');
      await cliOk('probe', 'add', 'gone', '--host', '127.0.0.1', '--port', String(port), '--sni', 'gone.probe.test', '--interval', '5s');
      const told = (phase: string): Json[] => receiver.bodies.map((b) => JSON.parse(b) as Json).filter((e) => e.event === 'probe-unreachable' && e.phase === phase);

      const first = await waitFor(async () => {
        const p = await probe('gone');
        return p.last !== null ? p : undefined;
      }, { what: 'the first probe of the closed port', ...WAIT });
      assert.equal(first.last.outcome, 'error');
      assert.match(first.last.error, /connection refused/);

      const raised = await waitFor(async () => told('raised')[0], { what: 'the probe-unreachable webhook', ...WAIT });
      assert.equal(raised.name, 'gone');
      assert.match(raised.text, /could not be read 2 times in a row/, 'raised at the second failure, not the first');
      assert.ok((await probe('gone')).last.consecutiveErrors >= 2);
      await waitFor(async () => ((await probe('gone')).last.consecutiveErrors >= 4 ? true : undefined), { what: 'two more failed probes', ...WAIT });
      assert.equal(told('raised').length, 1, 'told once, however many probes fail');

      const cert = await (await materialCa('Back Again')).issue('gone', ['gone.probe.test'], 10);
      revived = await startTls(`${cert.certPem}${cert.chainPem}`, cert.keyPem, port);
      const resolved = await waitFor(async () => told('resolved')[0], { what: 'the resolved webhook', ...WAIT });
      assert.match(resolved.title, /^gone: resolved, endpoint answers again$/);
      const back = await probe('gone');
      assert.deepEqual([back.last.consecutiveErrors, back.last.fingerprint256], [0, cert.fingerprint256]);
      assert.equal(told('raised').length, 1);
    });
  });
}
