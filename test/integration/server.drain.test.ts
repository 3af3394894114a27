// Graceful drain: on SIGTERM the node reports not-ready at once, keeps answering for the drain
// delay so a load balancer can notice, then exits 0.
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { startCertainty } from '../support/certainty.ts';
import { httpRequest } from '../../src/http-client.ts';
import { startTestDnsServer } from '../../src/lab/dns-server.ts';

const get = async (url: string, ca: string): Promise<number> => (await httpRequest(url, { ca })).status;

test('SIGTERM: not ready at once, still serving during the drain delay, exit 0', { timeout: 60_000 }, async () => {
  const dns = await startTestDnsServer();
  const server = await startCertainty({ dnsAddress: dns.address, http01Port: 1, tlsAlpn01Port: 1, env: { CERTAINTY_DRAIN_DELAY_MS: '2500' } });
  try {
    const ca = await readFile(server.rootPemPath, 'utf8');
    assert.equal(await get(`${server.baseUrl}/readyz`, ca), 200);
    const stopping = server.stop('SIGTERM');
    let sawNotReady = false;
    let directoryDuringDrain = 0;
    for (let i = 0; i < 20 && !sawNotReady; i++) {
      await new Promise((r) => setTimeout(r, 50));
      sawNotReady = (await get(`${server.baseUrl}/readyz`, ca)) === 404;
    }
    directoryDuringDrain = await get(`${server.baseUrl}/directory`, ca);
    assert.ok(sawNotReady, '/readyz turned 404 (draining) after SIGTERM');
    assert.equal(directoryDuringDrain, 200, 'requests are still served while draining');
    const exit = await stopping;
    assert.equal(exit.code, 0, await server.logTail());
    assert.match(await server.logTail(), /"msg":"stopped"/);
  } finally {
    await server.dispose();
    await dns.close();
  }
});
