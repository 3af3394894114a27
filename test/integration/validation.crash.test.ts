// Crash safety: the server is SIGKILLed after it accepted a challenge and while the validation is
// under way; after a restart the validation is picked up again and the order completes.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { AcmeClient, AcmeTransport, createCsr } from '../../src/acme-client/client.ts';
import { startCertainty, type CertaintyServer } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { startTestDnsServer } from '../../src/lab/dns-server.ts';

for (const dialect of dialects()) {
  test(`a validation interrupted by SIGKILL completes after restart (${dialect})`, { timeout: 120_000 }, async () => {
    const dns = await startTestDnsServer({ 'crash.example.test': { A: ['127.0.0.1'] } });
    const answers = new Map<string, string>();
    let hold = true;
    let seen = 0;
    let sawRequest!: () => void;
    const requested = new Promise<void>((resolve) => (sawRequest = resolve));
    // The responder stalls while `hold` is set, so the validation is mid-flight when the kill lands.
    const responder = createServer((req, res) => {
      seen += 1;
      sawRequest();
      const token = (req.url ?? '').split('/').pop() ?? '';
      const reply = (): void => void res.writeHead(200).end(answers.get(token) ?? '');
      if (hold) setTimeout(reply, 20_000).unref();
      else reply();
    });
    responder.listen(0, '127.0.0.1');
    await once(responder, 'listening');
    const port = (responder.address() as AddressInfo).port;
    const databaseUrl = await freshDatabaseUrl(dialect);
    const server: CertaintyServer = await startCertainty({
      dnsAddress: dns.address, http01Port: port, tlsAlpn01Port: port, ...(databaseUrl === undefined ? {} : { databaseUrl }),
      env: { CERTAINTY_VALIDATION_TIMEOUT_MS: '30000' },
    });
    after(async () => {
      await server.dispose();
      responder.closeAllConnections();
      responder.close();
      await dns.close();
    });
    const transport = new AcmeTransport({ directoryUrl: server.directoryUrl, ca: await readFile(server.rootPemPath, 'utf8') });
    const client = new AcmeClient(transport, undefined, { minIntervalMs: 50, maxRetryAfterMs: 500 });
    await client.createAccount();
    const order = await client.newOrder(['crash.example.test']);
    const authz = await client.getAuthorization(order.authorizations[0] as string);
    const challenge = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
    answers.set(challenge.token, await client.keyAuthorization(challenge.token));
    const accepted = await client.respondChallenge(challenge.url);
    assert.equal(accepted.status, 'processing');
    await requested;
    await server.kill9();
    transport.close();

    hold = false;
    await server.restart();
    const transport2 = new AcmeTransport({ directoryUrl: server.directoryUrl, ca: await readFile(server.rootPemPath, 'utf8') });
    const again = new AcmeClient(transport2, client.key, { minIntervalMs: 50, maxRetryAfterMs: 500 });
    again.accountUrl = client.accountUrl;
    const ready = await again.poll(order.url, ['ready'], { timeoutMs: 60_000 });
    assert.equal(ready.status, 'ready');
    assert.ok(seen >= 2, 'the restarted server ran the validation again');
    const { der } = await createCsr(order.identifiers);
    const done = await again.finalize(order, der);
    assert.equal(done.status, 'valid');
    transport2.close();
  });
}
