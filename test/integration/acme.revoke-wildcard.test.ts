// Revocation by authorization respects the wildcard flag (RFC 8555 §7.6), on
// every dialect: an account holding only an http-01 authorization for `w.test` cannot revoke
// another account's `*.w.test` certificate; a wildcard authorization for `*.w.test` can, and it
// does not cover `w.test` itself (a different identifier, RFC 8555 §7.1.4).
import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { dns01TxtValue, type AcmeClient, type AcmeError, type ChallengeSolver } from '../../src/acme-client/client.ts';
import type { Http01Responder } from '../../src/acme-client/responder.ts';
import type { TestDnsServer } from '../../src/lab/dns-server.ts';
import { localhostDns, startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { dialects } from '../support/node.ts';

const UNAUTHORIZED = 'urn:ietf:params:acme:error:unauthorized';

for (const dialect of dialects()) {
  describe(`revocation by authorization and wildcards (${dialect})`, { timeout: 180_000 }, () => {
    let acme: AcmeNode;
    let dns: TestDnsServer;
    let responder: Http01Responder;
    const account = (): Promise<AcmeClient> => acme.newClient();
    /** dns-01 through the test DNS server (RFC 8555 §8.4: TXT at _acme-challenge.<base name>). */
    const dns01: ChallengeSolver = {
      present: async (_type, identifier, _token, keyAuthorization) => dns.set(`_acme-challenge.${identifier.value}`, { TXT: [dns01TxtValue(keyAuthorization)] }),
      cleanup: async () => undefined,
    };
    const certDer = (pem: string): Uint8Array => new X509Certificate(pem).raw;

    before(async () => {
      acme = await startAcmeNode(dialect, { dns: localhostDns, set: { 'policy.allowWildcards': 'true' } });
      ({ dns, responder } = acme);
    });
    after(() => acme?.stop());

    test('an authorization for w.test does not let another account revoke *.w.test; one for *.w.test does', async () => {
      const owner = await account();
      const wildcard = await owner.issue({ identifiers: ['*.w.test'], challengeType: 'dns-01', solver: dns01 });
      const other = await account();
      await other.issue({ identifiers: ['w.test'], challengeType: 'http-01', solver: responder });
      await assert.rejects(other.revoke(certDer(wildcard.certificatePem), 1), (e: AcmeError) => e.type === UNAUTHORIZED);
      await other.issue({ identifiers: ['*.w.test'], challengeType: 'dns-01', solver: dns01 });
      await other.revoke(certDer(wildcard.certificatePem), 1);
    });

    test('an authorization for *.v.test does not let another account revoke v.test', async () => {
      const owner = await account();
      const plain = await owner.issue({ identifiers: ['v.test'], challengeType: 'http-01', solver: responder });
      const other = await account();
      await other.issue({ identifiers: ['*.v.test'], challengeType: 'dns-01', solver: dns01 });
      await assert.rejects(other.revoke(certDer(plain.certificatePem), 1), (e: AcmeError) => e.type === UNAUTHORIZED);
    });
  });
}
