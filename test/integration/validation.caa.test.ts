// CAA (RFC 8659, RFC 8657) through a real node and a real DNS server: with
// acme.caaIdentities set, an authorization whose domain's CAA records do not let this CA issue
// ends invalid with urn:ietf:params:acme:error:caa, after its challenge passed.
import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AcmeClient, AcmeError, AcmeTransport, type AcmeProblem } from '../../src/acme-client/client.ts';
import type { Http01Responder } from '../../src/acme-client/responder.ts';
import { startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { startTestDns, type TestDns } from '../support/dns.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';

const CAA = 'urn:ietf:params:acme:error:caa';
const US = 'certainty.test';

for (const dialect of dialects()) {
  describe(`CAA checking (${dialect})`, { timeout: 120_000 }, () => {
    let acme: AcmeNode<TestDns>;
    let dns: TestDns;
    let responder: Http01Responder;
    let node: TestNode;
    let transport: AcmeTransport;
    let client: AcmeClient;

    before(async () => {
      acme = await startAcmeNode(dialect, { dns: startTestDns, set: { 'validation.timeoutMs': '3000', 'acme.caaIdentities': US } });
      ({ dns, responder, node, transport } = acme);
      client = await acme.newClient();
    });
    after(() => acme?.stop());

    const issue = (name: string) => client.issue({ identifiers: [name], challengeType: 'http-01', solver: responder });

    /** Issuance of `name` fails; returns the challenge's problem, after checking the order carries the same type. */
    async function refused(name: string): Promise<AcmeProblem> {
      const served = responder.served();
      const err = await issue(name).then(() => assert.fail(`${name} was issued`), (e: unknown) => e);
      assert.ok(err instanceof AcmeError, String(err));
      assert.equal(err.type, CAA, err.message);
      assert.ok(responder.served() > served, 'the challenge itself was answered: CAA is what refused');
      const orders = (await client.signedPost(`${client.accountUrl}/orders`, '')).body.orders as string[];
      const order = (await client.signedPost(orders[orders.length - 1] as string, '')).body;
      assert.equal(order.status, 'invalid');
      assert.equal(order.error.type, CAA);
      return err.problem as AcmeProblem;
    }

    test('the directory advertises the CAA identity it checks', async () => {
      assert.deepEqual((await transport.getDirectory()).meta.caaIdentities, [US]);
    });

    test('issuance is refused when CAA names another CA', async () => {
      await dns.setCaa('other.test', [{ tag: 'issue', value: 'letsencrypt.org' }]);
      const problem = await refused('other.test');
      assert.equal(problem.detail, `CAA record for other.test prevents issuance: no "issue" property names this CA (${US})`);
    });

    test('issuance is allowed when CAA (found up the tree) names this CA', async () => {
      await dns.setCaa('ours.test', [{ tag: 'issue', value: 'letsencrypt.org' }, { tag: 'issue', value: US }]);
      await issue('www.ours.test');
      await issue('plain.test');
    });

    test('an accounturi naming another account is refused; naming this one is allowed', async () => {
      await dns.setCaa('acct-other.test', [{ tag: 'issue', value: `${US}; accounturi=${node.baseUrl}/acme/account/someone-else` }]);
      assert.match((await refused('acct-other.test')).detail ?? '', /accounturi names another ACME account/);
      await dns.setCaa('acct-mine.test', [{ tag: 'issue', value: `${US}; accounturi=${client.accountUrl}; validationmethods=http-01` }]);
      await issue('acct-mine.test');
    });

    test('validationmethods without http-01 refuses an http-01 authorization', async () => {
      await dns.setCaa('methods.test', [{ tag: 'issue', value: `${US}; validationmethods=dns-01,tls-alpn-01` }]);
      assert.match((await refused('methods.test')).detail ?? '', /validationmethods "dns-01,tls-alpn-01" do not include http-01/);
    });

    test('without acme.caaIdentities nothing is checked', async () => {
      const open = await startNode({
        databaseUrl: await freshDatabaseUrl(dialect),
        set: { 'validation.dnsServer': dns.dnsAddress, 'validation.http01Port': String(responder.port), 'validation.timeoutMs': '3000' },
      });
      const t = new AcmeTransport({ directoryUrl: open.directoryUrl, ca: open.rootPem });
      try {
        const c = new AcmeClient(t, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
        await c.createAccount();
        await c.issue({ identifiers: ['other.test'], challengeType: 'http-01', solver: responder });
      } finally {
        t.close();
        await open.stop();
      }
    });
  });
}
