// http-01 is not a window into the CA's network: through a real node, a
// responder that redirects to the cloud metadata address or a denied range leaves the challenge
// invalid with a connection problem naming the refused address, and no byte of any response the
// validator read appears in the problem the client sees.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AcmeClient, AcmeError, AcmeTransport, type AcmeProblem } from '../../src/acme-client/client.ts';
import { startTestDnsServer, type TestDnsServer } from '../../src/lab/dns-server.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';

const P = 'urn:ietf:params:acme:error:';
/** Bytes a hostile or internal target sends; none may reach the client. */
const SECRET = 'AKIA-internal-secret-7f3a';

/** Answers every challenge path by what `plan` says for the requested host. */
async function startResponder(plan: (host: string) => { status: number; headers?: Record<string, string> }): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    hits.push(`${host}${req.url ?? ''}`);
    const { status, headers } = plan(host);
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(`${SECRET}\n`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, hits };
}

/** Orders `name`, answers its http-01 challenge and returns the problem that made it invalid. */
async function failedChallenge(client: AcmeClient, name: string): Promise<AcmeProblem> {
  const order = await client.newOrder([name]);
  const authzUrl = order.authorizations[0] as string;
  const authz = await client.getAuthorization(authzUrl);
  const challenge = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
  await client.respondChallenge(challenge.url);
  const err = await client.poll(authzUrl, ['valid'], { timeoutMs: 20_000 }).then(
    () => assert.fail(`${name}: the authorization became valid`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AcmeError, String(err));
  const problem = (await client.signedPost(challenge.url, '')).body.error as AcmeProblem;
  assert.equal((await client.signedPost(order.url, '')).body.status, 'invalid');
  return problem;
}

function assertNoResponseBytes(problem: AcmeProblem): void {
  const text = JSON.stringify(problem);
  for (const leak of [SECRET, 'meta-data', 'credentials']) assert.ok(!text.includes(leak), `"${leak}" leaked into ${text}`);
}

for (const dialect of dialects()) {
  describe(`validation egress (${dialect})`, { timeout: 120_000 }, () => {
    let dns: TestDnsServer;
    let responder: Awaited<ReturnType<typeof startResponder>>;
    const nodes: TestNode[] = [];
    const clients: AcmeTransport[] = [];

    const clientFor = async (node: TestNode): Promise<AcmeClient> => {
      const t = new AcmeTransport({ directoryUrl: node.directoryUrl, ca: node.rootPem });
      clients.push(t);
      const client = new AcmeClient(t, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
      await client.createAccount();
      return client;
    };
    const start = async (set: Record<string, string> = {}): Promise<TestNode> => {
      const node = await startNode({
        databaseUrl: await freshDatabaseUrl(dialect),
        set: { 'validation.dnsServer': dns.address, 'validation.http01Port': String(responder.port), 'validation.timeoutMs': '3000', ...set },
      });
      nodes.push(node);
      return node;
    };

    before(async () => {
      dns = await startTestDnsServer({}, { fallback: { A: ['127.0.0.1'] } });
      dns.set('metadata.test', { A: ['169.254.169.254'] });
      dns.set('internal.test', { A: ['10.20.30.40'] });
      responder = await startResponder((host) => {
        if (host === 'to-metadata.test') return { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' } };
        if (host === 'to-metadata-name.test') return { status: 302, headers: { location: `http://metadata.test:${responder.port}/latest/meta-data/` } };
        if (host === 'to-internal.test') return { status: 301, headers: { location: `http://internal.test:${responder.port}/admin?token=${SECRET}` } };
        return { status: 200 };
      });
    });
    after(async () => {
      for (const t of clients) t.close();
      for (const node of nodes) await node.stop();
      responder?.server.closeAllConnections();
      responder?.server.close();
      await dns?.close();
    });

    test('a redirect to 169.254.169.254, by address or by name, is refused before dialling and echoes nothing', async () => {
      const client = await clientFor(await start());
      for (const name of ['to-metadata.test', 'to-metadata-name.test']) {
        responder.hits.length = 0;
        const problem = await failedChallenge(client, name);
        assert.equal(problem.type, `${P}connection`);
        assert.match(problem.detail ?? '', /^169\.254\.169\.254:\d+: Fetching http:\/\/[a-z.0-9]+(:\d+)?\/\.\.\. \(redirect target\): Refused to connect: it is in a range validation does not connect to \(validation\.egress\.deny\)$/);
        assertNoResponseBytes(problem);
        assert.deepEqual(responder.hits.map((h) => h.split('/')[0]), [name], 'only the identifier itself was fetched');
      }
    });

    test('a redirect to a configured denied range is refused', async () => {
      const client = await clientFor(await start({ 'validation.egress.deny': '169.254.0.0/16,fe80::/10,10.0.0.0/8' }));
      const problem = await failedChallenge(client, 'to-internal.test');
      assert.equal(problem.type, `${P}connection`);
      assert.match(problem.detail ?? '', /^10\.20\.30\.40:\d+: Fetching http:\/\/internal\.test:\d+\/\.\.\. \(redirect target\): Refused to connect: .*validation\.egress\.deny/);
      assertNoResponseBytes(problem);
    });

    test('a wrong body is reported by length, not content', async () => {
      const client = await clientFor(nodes[0] as TestNode);
      const problem = await failedChallenge(client, 'wrong-body.test');
      assert.equal(problem.type, `${P}incorrectResponse`);
      assert.match(problem.detail ?? '', /got status 200 with a different 25-byte body$/);
      assertNoResponseBytes(problem);
    });

    test('with loopback denied, a responder on 127.0.0.1 is never contacted', async () => {
      const client = await clientFor(await start({ 'validation.egress.loopback': 'deny' }));
      responder.hits.length = 0;
      const problem = await failedChallenge(client, 'loopback.test');
      assert.equal(problem.type, `${P}connection`);
      assert.match(problem.detail ?? '', /^127\.0\.0\.1:\d+: Fetching http:\/\/loopback\.test\/\.well-known\/acme-challenge\/\S+: Refused to connect: it is a loopback address/);
      assert.deepEqual(responder.hits, []);
    });
  });
}
