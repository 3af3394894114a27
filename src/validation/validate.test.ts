import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { dns01TxtValue } from './key-authorization.ts';
import type { ValidationSettings } from './settings.ts';
import { DEFAULT_EGRESS_DENY, EgressPolicy } from './egress.ts';
import { startTestDnsServer, type TestDnsServer } from '../lab/dns-server.ts';
import { createValidator } from './validate.ts';

const T = { timeout: 5_000 };
/** The responders here listen on 127.0.0.1; everything else as by default. */
const LOOPBACK_ALLOWED = new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: true });
const TOKEN = 'token';
const KEY_AUTH = `${TOKEN}.thumbprint`;
const input = (value: string, type: 'dns' | 'ip' = 'dns') => ({ identifier: { type, value }, token: TOKEN, keyAuthorization: KEY_AUTH });

describe('createValidator', () => {
  let dns: TestDnsServer;
  const server = createServer((_req, res) => res.end(KEY_AUTH));
  let settings: ValidationSettings;
  before(async () => {
    dns = await startTestDnsServer({
      'example.test': { A: ['127.0.0.1'] },
      '_acme-challenge.example.test': { TXT: [dns01TxtValue(KEY_AUTH)] },
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    // Nothing listens on port 1: tls-alpn-01 must fail to connect there.
    settings = { dnsServer: dns.address, http01Port: port, tlsAlpn01Port: 1, timeoutMs: 2_000, egress: LOOPBACK_ALLOWED };
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await dns.close();
  });

  test('dispatches each challenge type to its validator', T, async () => {
    const validator = createValidator(settings);
    assert.equal((await validator.validate('http-01', input('example.test'))).url, `http://example.test/.well-known/acme-challenge/${TOKEN}`);
    assert.deepEqual(await validator.validate('dns-01', input('example.test')), { hostname: 'example.test' });
    await assert.rejects(validator.validate('tls-alpn-01', input('127.0.0.1', 'ip')), {
      code: 'connection',
      detail: /^127\.0\.0\.1:1: tls-alpn-01 handshake for 1\.0\.0\.127\.in-addr\.arpa: Connection refused$/,
    });
  });
});
