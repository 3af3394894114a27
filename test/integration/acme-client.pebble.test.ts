// The ACME client (src/acme-client/client.ts) against Pebble, Let's Encrypt's test CA: issuance
// with http-01 and dns-01, revocation, key change and deactivation, and problem documents.
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { AcmeClient, AcmeTransport, dns01TxtValue, generateAcmeKey, type ChallengeSolver } from '../../src/acme-client/client.ts';
import { x509 } from '../../src/ca/x509.ts';
import { startTestDns, type TestDns } from '../support/dns.ts';
import { freePort } from '../support/free-port.ts';
import { startPebble, type PebbleServer } from '../support/pebble.ts';

describe('AcmeClient against Pebble', () => {
  let dns: TestDns;
  let pebble: PebbleServer;
  let transport: AcmeTransport;
  const tokens = new Map<string, string>();
  const responder = createServer((req, res) => {
    const ka = tokens.get((req.url ?? '').split('/').pop() ?? '');
    res.writeHead(ka ? 200 : 404).end(ka);
  });
  const solver: ChallengeSolver = {
    present: async (type, id, token, ka) => {
      if (type === 'http-01') tokens.set(token, ka);
      else await dns.setTxt(`_acme-challenge.${id.value}`, dns01TxtValue(ka));
    },
    cleanup: async (type, id, token) => {
      if (type === 'http-01') tokens.delete(token);
      else await dns.clearTxt(`_acme-challenge.${id.value}`);
    },
  };

  before(async () => {
    const http01Port = await freePort();
    await new Promise<void>((resolve) => responder.listen(http01Port, '127.0.0.1', resolve));
    dns = await startTestDns();
    pebble = await startPebble({ dnsAddress: dns.dnsAddress, http01Port, tlsAlpn01Port: await freePort() });
    transport = new AcmeTransport({ directoryUrl: pebble.directoryUrl, ca: await readFile(pebble.tlsCaPemPath, 'utf8') });
  });
  after(async () => {
    transport?.close();
    await pebble?.stop();
    await dns?.stop();
    responder.close();
  });

  test('issues with http-01 and dns-01, revokes, changes key and deactivates', async () => {
    const client = new AcmeClient(transport);
    const account = await client.createAccount({ contact: ['mailto:ops@example.test'] });
    assert.equal(account.status, 'valid');
    const http = await client.issue({ identifiers: ['a.acme-client.test', 'b.acme-client.test'], challengeType: 'http-01', solver });
    assert.match(http.certificatePem, /^-----BEGIN CERTIFICATE-----/);
    const viaDns = await client.issue({ identifiers: ['*.acme-client.test'], challengeType: 'dns-01', solver });
    assert.equal(viaDns.order.status, 'valid');
    const leaf = new x509.X509Certificate(http.certificatePem);
    await client.revoke(new Uint8Array(leaf.rawData), 4);
    await client.keyChange(await generateAcmeKey('ES384'));
    assert.equal((await client.createAccount({ onlyReturnExisting: true })).url, account.url);
    assert.equal((await client.deactivateAccount()).status, 'deactivated');
  });

  test('returns problem documents unthrown at the transport level', async () => {
    const key = await generateAcmeKey();
    const res = await transport.post(await transport.url('newAccount'), await transport.signJws({
      url: await transport.url('newAccount'), payload: { termsOfServiceAgreed: true }, key, nonce: 'bogus',
    }));
    assert.equal(res.status, 400);
    assert.equal(res.body.type, 'urn:ietf:params:acme:error:badNonce');
    assert.ok(res.headers['replay-nonce'], 'badNonce carries a fresh nonce');
  });
});
