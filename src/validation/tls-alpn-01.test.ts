import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { buildAcmeIdentifierCertificate } from '../../test/support/acme-identifier-cert.ts';
import { createResolver } from './resolver.ts';
import type { ValidationSettings } from './settings.ts';
import { DEFAULT_EGRESS_DENY, EgressPolicy } from './egress.ts';
import { startTestDnsServer, type TestDnsServer } from '../lab/dns-server.ts';
import { validateTlsAlpn01 } from './tls-alpn-01.ts';

const T = { timeout: 10_000 };
/** The responders here listen on 127.0.0.1; everything else as by default. */
const LOOPBACK_ALLOWED = new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: true });
const KEY_AUTH = 'token.thumbprint';
const digest = (keyAuth: string): Uint8Array => new Uint8Array(createHash('sha256').update(keyAuth).digest());

async function tlsServer(alpn: string[] | undefined): Promise<{ server: Server; port: number; sni: string[] }> {
  const sni: string[] = [];
  // A throwaway certificate until a test installs the one it needs with setSecureContext.
  const initial = await buildAcmeIdentifierCertificate({ type: 'dns', value: 'placeholder.test' }, digest('x'));
  const server = createServer({
    key: initial.keyPem,
    cert: initial.certPem,
    ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
    // Recorded during the handshake: the validator may hang up before 'secureConnection' fires.
    SNICallback: (servername, done) => {
      sni.push(servername);
      done(null);
    },
  });
  server.on('secureConnection', (socket) => socket.on('error', () => undefined));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, sni };
}

describe('validateTlsAlpn01', () => {
  let dns: TestDnsServer;
  let acme: Awaited<ReturnType<typeof tlsServer>>;
  let settings: ValidationSettings;

  before(async () => {
    dns = await startTestDnsServer({ 'example.test': { A: ['127.0.0.1'] } });
    acme = await tlsServer(['acme-tls/1']);
    settings = { dnsServer: dns.address, http01Port: 80, tlsAlpn01Port: acme.port, timeoutMs: 2_000, egress: LOOPBACK_ALLOWED };
  });
  after(async () => {
    acme.server.close();
    await dns.close();
  });

  const serve = async (identifier: { type: 'dns' | 'ip'; value: string }, keyAuth = KEY_AUTH): Promise<void> => {
    const { certPem, keyPem } = await buildAcmeIdentifierCertificate(identifier, digest(keyAuth));
    acme.server.setSecureContext({ key: keyPem, cert: certPem });
    acme.sni.length = 0;
  };
  const validate = (value: string, type: 'dns' | 'ip' = 'dns', s: ValidationSettings = settings) =>
    validateTlsAlpn01({ identifier: { type, value }, keyAuthorization: KEY_AUTH }, s, createResolver(s));

  test('passes with the acmeIdentifier certificate, SNI set to the domain', T, async () => {
    await serve({ type: 'dns', value: 'example.test' });
    assert.deepEqual(await validate('example.test'), {
      hostname: 'example.test',
      port: String(acme.port),
      addressesResolved: ['127.0.0.1'],
      addressUsed: '127.0.0.1',
    });
    assert.deepEqual(acme.sni, ['example.test']);
  });

  test('an IP identifier is validated with its reverse-DNS name as SNI (RFC 8738 §6)', T, async () => {
    await serve({ type: 'ip', value: '127.0.0.1' });
    assert.equal((await validate('127.0.0.1', 'ip')).addressUsed, '127.0.0.1');
    assert.deepEqual(acme.sni, ['1.0.0.127.in-addr.arpa']);
  });

  test('a certificate for another key authorization is incorrectResponse', T, async () => {
    await serve({ type: 'dns', value: 'example.test' }, 'token.other-thumbprint');
    await assert.rejects(validate('example.test'), { code: 'incorrectResponse' });
  });

  test('a certificate for another name is unauthorized', T, async () => {
    await serve({ type: 'dns', value: 'other.test' });
    await assert.rejects(validate('example.test'), { code: 'unauthorized' });
  });

  const refusals = [
    ['offers only http/1.1', ['http/1.1'], 'TLS handshake failed: tlsv1 alert no application protocol'],
    ['has no ALPN', undefined, 'Cannot negotiate ALPN protocol "acme-tls/1" for tls-alpn-01 challenge'],
  ] as const;
  for (const [label, alpn, problem] of refusals) {
    test(`a server that ${label} is a tls problem`, T, async () => {
      const plain = await tlsServer(alpn === undefined ? undefined : [...alpn]);
      try {
        await assert.rejects(validate('example.test', 'dns', { ...settings, tlsAlpn01Port: plain.port }), {
          code: 'tls',
          detail: `127.0.0.1:${plain.port}: tls-alpn-01 handshake for example.test: ${problem}`,
        });
      } finally {
        plain.server.close();
      }
    });
  }

  test('a refused connection is a connection problem', T, async () => {
    const closed = await tlsServer(undefined);
    closed.server.close();
    await once(closed.server, 'close');
    await assert.rejects(validate('example.test', 'dns', { ...settings, tlsAlpn01Port: closed.port }), {
      code: 'connection',
      detail: `127.0.0.1:${closed.port}: tls-alpn-01 handshake for example.test: Connection refused`,
    });
  });

  test('the egress policy applies: metadata and, unless allowed, loopback are never dialled', T, async () => {
    await serve({ type: 'dns', value: 'example.test' });
    await assert.rejects(validate('169.254.169.254', 'ip'), {
      code: 'connection',
      detail: `169.254.169.254:${acme.port}: tls-alpn-01 handshake for 254.169.254.169.in-addr.arpa: Refused to connect: it is in a range validation does not connect to (validation.egress.deny)`,
    });
    const closed = { ...settings, egress: new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: false }) };
    await assert.rejects(validate('example.test', 'dns', closed), { code: 'connection', detail: /Refused to connect: it is a loopback address/ });
    assert.deepEqual(acme.sni, []);
  });

  test('wildcards are malformed for tls-alpn-01', T, async () => {
    await assert.rejects(validate('*.example.test'), { code: 'malformed' });
  });
});
