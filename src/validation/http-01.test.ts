import * as assert from 'node:assert/strict';
import { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { x509 } from '../ca/x509.ts';
import { AppError } from '../errors.ts';
import { validateHttp01 } from './http-01.ts';
import { createResolver } from './resolver.ts';
import { DEFAULT_EGRESS_DENY, EgressPolicy } from './egress.ts';
import type { ValidationSettings } from './settings.ts';
import { startTestDnsServer, type TestDnsServer } from '../lab/dns-server.ts';

const T = { timeout: 5_000 };
/** The responders here listen on 127.0.0.1; everything else as by default. */
const LOOPBACK_ALLOWED = new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: true });
const TOKEN = 'tok_en-123';
const KEY_AUTH = `${TOKEN}.thumbprint`;
const PATH = `/.well-known/acme-challenge/${TOKEN}`;

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

async function selfSigned(): Promise<{ key: string; cert: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=redirect.test',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: alg,
  });
  return { cert: cert.toString('pem'), key: KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' }).toString() };
}

describe('validateHttp01', () => {
  let dns: TestDnsServer;
  let server: Server;
  let tlsServer: Server;
  let settings: ValidationSettings;
  let handler: RequestListener = (_req, res) => res.end();
  const seen: { host: string | undefined; url: string | undefined; tls: boolean }[] = [];

  before(async () => {
    dns = await startTestDnsServer({
      'example.test': { A: ['127.0.0.1'] },
      'other.test': { A: ['127.0.0.1'] },
      'metadata.test': { A: ['169.254.169.254'] },
      'internal.test': { A: ['10.20.30.40'] },
      'mixed.test': { A: ['169.254.169.254', '127.0.0.1'] },
      'dual.test': { A: ['127.0.0.1'], AAAA: ['::1'] },
    });
    const listener: RequestListener = (req, res) => {
      seen.push({ host: req.headers.host, url: req.url, tls: 'encrypted' in req.socket });
      handler(req, res);
    };
    server = createHttpServer(listener);
    tlsServer = createHttpsServer(await selfSigned(), listener);
    const [http01Port, tlsAlpn01Port] = [await listen(server), await listen(tlsServer)];
    settings = { dnsServer: dns.address, http01Port, tlsAlpn01Port, timeoutMs: 2_000, egress: LOOPBACK_ALLOWED };
  });
  after(async () => {
    await Promise.all([close(server), close(tlsServer), dns.close()]);
  });

  const validate = (value = 'example.test', s: ValidationSettings = settings, type: 'dns' | 'ip' = 'dns') =>
    validateHttp01({ identifier: { type, value }, token: TOKEN, keyAuthorization: KEY_AUTH }, s, createResolver(s));
  const respond = (status: number, body: string | Buffer, headers: Record<string, string> = {}): void => {
    seen.length = 0;
    handler = (_req, res) => res.writeHead(status, headers).end(body);
  };

  test('passes when the body is the key authorization, ignoring trailing whitespace', T, async () => {
    respond(200, `${KEY_AUTH}\r\n`);
    const record = await validate();
    assert.deepEqual(record, {
      url: `http://example.test${PATH}`,
      hostname: 'example.test',
      port: String(settings.http01Port),
      addressesResolved: ['127.0.0.1'],
      addressUsed: '127.0.0.1',
    });
    assert.deepEqual(seen, [{ host: 'example.test', url: PATH, tls: false }]);
  });

  test('validates an IP identifier without DNS, Host set to the address', T, async () => {
    respond(200, KEY_AUTH);
    const record = await validate('127.0.0.1', settings, 'ip');
    assert.equal(record.url, `http://127.0.0.1${PATH}`);
    assert.equal(seen[0]?.host, '127.0.0.1');
  });

  test('IPv6: bracketed URL and Host, and fallback from a refused IPv4 address', T, async (t) => {
    const v6 = createHttpServer((req, res) => {
      seen.push({ host: req.headers.host, url: req.url, tls: false });
      res.end(KEY_AUTH);
    });
    let port: number;
    try {
      port = await listen(v6, '::1');
    } catch {
      t.skip('no IPv6 loopback');
      return;
    }
    try {
      seen.length = 0;
      const v6Settings = { ...settings, http01Port: port };
      assert.equal((await validate('::1', v6Settings, 'ip')).url, `http://[::1]${PATH}`);
      assert.equal(seen[0]?.host, '[::1]');
      // Nothing listens on 127.0.0.1 at this port, so the AAAA address is tried next.
      const record = await validate('dual.test', v6Settings);
      assert.deepEqual(record.addressesResolved, ['127.0.0.1', '::1']);
      assert.equal(record.addressUsed, '::1');
    } finally {
      await close(v6);
    }
  });

  test('a 404 is unauthorized, naming the URL and status', T, async () => {
    respond(404, 'not here');
    await assert.rejects(validate(), { code: 'unauthorized', detail: `Invalid response from http://example.test${PATH}: 404` });
  });

  test('a wrong body is incorrectResponse naming lengths, not echoing the body', T, async () => {
    respond(200, `secret-metadata-token\u001b[31m${'x'.repeat(200)}`);
    await assert.rejects(validate(), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'incorrectResponse');
      assert.equal(
        err.detail,
        `The key authorization file from the server did not match this challenge. Expected "${KEY_AUTH}" (${KEY_AUTH.length} bytes), got status 200 with a different 226-byte body`,
      );
      return true;
    });
  });

  test('a body over the 8 KiB cap is incorrectResponse', T, async () => {
    respond(200, Buffer.alloc(20_000, 'a'));
    await assert.rejects(validate(), { code: 'incorrectResponse', detail: /got status 200 with a body over 8192 bytes$/ });
  });

  test('a refused connection is a connection problem naming address and port', T, async () => {
    const closed = createHttpServer();
    const port = await listen(closed);
    await close(closed);
    await assert.rejects(validate('example.test', { ...settings, http01Port: port }), {
      code: 'connection',
      detail: `127.0.0.1:${port}: Fetching http://example.test${PATH}: Connection refused`,
    });
  });

  test('a server that accepts but never answers times out after connect', T, async () => {
    const silent = createNetServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as { port: number }).port;
    try {
      await assert.rejects(validate('example.test', { ...settings, http01Port: port, timeoutMs: 300 }), {
        code: 'connection',
        detail: `127.0.0.1:${port}: Fetching http://example.test${PATH}: Timeout after connect (your server may be slow or overloaded)`,
      });
    } finally {
      silent.close();
    }
  });

  test('an unresolvable name is a dns problem', T, async () => {
    await assert.rejects(validate('missing.test'), { code: 'dns' });
  });

  test('follows redirects across hosts and to https, recording the first request', T, async () => {
    seen.length = 0;
    handler = (req, res) => {
      if (req.url === PATH) res.writeHead(302, { location: `http://other.test:${settings.http01Port}/hop` }).end();
      else if (req.url === '/hop') res.writeHead(301, { location: 'https://example.test/final' }).end();
      else res.end(KEY_AUTH);
    };
    const record = await validate();
    assert.equal(record.url, `http://example.test${PATH}`);
    assert.deepEqual(seen, [
      { host: 'example.test', url: PATH, tls: false },
      { host: `other.test:${settings.http01Port}`, url: '/hop', tls: false },
      { host: 'example.test', url: '/final', tls: true },
    ]);
  });

  test('a redirect to another port or scheme is refused', T, async () => {
    respond(302, '', { location: 'http://example.test:1/x' });
    await assert.rejects(validate(), { code: 'connection', detail: /^Invalid port in redirect target/ });
    respond(302, '', { location: 'ftp://example.test/x' });
    await assert.rejects(validate(), { code: 'connection', detail: /^Invalid protocol scheme/ });
  });

  test('a redirect loop stops after maxRedirects', T, async () => {
    respond(302, '', { location: PATH });
    await assert.rejects(validate('example.test', { ...settings, maxRedirects: 2 }), {
      code: 'connection',
      detail: `Too many redirects fetching http://example.test${PATH}`,
    });
    assert.equal(seen.length, 3);
  });

  test('a redirect to 169.254.169.254 is refused before dialling, by address or by a name resolving to it', T, async () => {
    for (const target of ['http://169.254.169.254/latest/meta-data/', `http://metadata.test:${settings.http01Port}/x?secret=1`]) {
      respond(302, 'redirect body', { location: target });
      await assert.rejects(validate(), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'connection');
        assert.match(err.detail, /^169\.254\.169\.254:\d+: Fetching http:\/\/[a-z0-9.]+(:\d+)?\/\.\.\. \(redirect target\): Refused to connect: it is in a range validation does not connect to \(validation\.egress\.deny\)$/);
        // Neither the redirect's path and query nor its body reach the client.
        assert.ok(!err.detail.includes('meta-data') && !err.detail.includes('secret') && !err.detail.includes('redirect body'));
        return true;
      });
      assert.equal(seen.length, 1, 'only the first request was made');
    }
  });

  test('a redirect to a configured denied range is refused before dialling', T, async () => {
    const denying = { ...settings, egress: new EgressPolicy({ deny: [...DEFAULT_EGRESS_DENY, '10.0.0.0/8'], allow: [], allowLoopback: true }) };
    respond(302, '', { location: `http://internal.test:${settings.http01Port}/` });
    // 10.20.30.40 is not routed here: a dial would end in a timeout, not this refusal.
    await assert.rejects(validate('example.test', denying), {
      code: 'connection',
      detail: `10.20.30.40:${settings.http01Port}: Fetching http://internal.test:${settings.http01Port}/... (redirect target): Refused to connect: it is in a range validation does not connect to (validation.egress.deny)`,
    });
    assert.equal(seen.length, 1);
  });

  test('a denied address among several is skipped for the next one', T, async () => {
    respond(200, KEY_AUTH);
    const record = await validate('mixed.test');
    assert.equal(record.addressUsed, '127.0.0.1');
    assert.deepEqual(record.addressesResolved, ['169.254.169.254', '127.0.0.1']);
  });

  test('loopback is dialled only when configured', T, async () => {
    respond(200, KEY_AUTH);
    const closed = { ...settings, egress: new EgressPolicy({ deny: DEFAULT_EGRESS_DENY, allow: [], allowLoopback: false }) };
    await assert.rejects(validate('example.test', closed), {
      code: 'connection',
      detail: `127.0.0.1:${settings.http01Port}: Fetching http://example.test${PATH}: Refused to connect: it is a loopback address (validation.egress.loopback)`,
    });
    await assert.rejects(validate('127.0.0.1', closed, 'ip'), { code: 'connection', detail: /it is a loopback address/ });
    assert.equal(seen.length, 0);
    assert.equal((await validate('example.test')).addressUsed, '127.0.0.1');
    assert.equal(seen.length, 1);
  });

  test('a redirect to a host the issuance policy refuses is not followed', T, async () => {
    const gated = { ...settings, redirectHosts: { permits: (id: { type: string; value: string }) => id.value === 'example.test' } };
    respond(302, '', { location: `http://other.test:${settings.http01Port}/hop` });
    await assert.rejects(validate('example.test', gated), {
      code: 'connection',
      detail: 'Invalid host in redirect target "other.test": this CA does not issue for it, so validation does not follow it',
    });
    assert.equal(seen.length, 1);
  });

  test('an error at a redirect target names its origin only', T, async () => {
    seen.length = 0;
    handler = (req, res) => {
      if (req.url === PATH) res.writeHead(302, { location: `http://other.test:${settings.http01Port}/private/path?token=abc` }).end();
      else res.writeHead(404).end('internal page');
    };
    await assert.rejects(validate(), {
      code: 'unauthorized',
      detail: `Invalid response from http://other.test:${settings.http01Port}/... (redirect target): 404`,
    });
  });

  test('rejects wildcards and non-base64url tokens before any request', T, async () => {
    await assert.rejects(validate('*.example.test'), { code: 'malformed' });
    const input = { identifier: { type: 'dns' as const, value: 'example.test' }, token: '../x', keyAuthorization: KEY_AUTH };
    await assert.rejects(validateHttp01(input, settings, createResolver(settings)), { code: 'malformed' });
  });
});
