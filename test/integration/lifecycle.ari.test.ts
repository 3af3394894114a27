// Renewal chosen by ARI (RFC 9773) from a second Certainty as the upstream: the window and the
// time drawn in it are stored, the upstream's "renew now" (its certificate revoked) is followed
// with an order that `replaces` the old certificate; a wrong EAB key ends in a clear status; on
// PostgreSQL two nodes on one database place exactly one upstream order per renewal; and a fleet
// added at once registers one upstream account.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestDnsServer } from '../../src/lab/dns-server.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { localhostDns } from '../support/acme-node.ts';
import { freePort } from '../support/free-port.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { runUnchecked } from '../support/run.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const LIFECYCLE = { 'lifecycle.checkPeriodMs': '1000', 'lifecycle.upstreamTimeoutMs': '5000', 'lifecycle.orderTimeoutMs': '30000', 'lifecycle.ariPollMaxMs': '2000' };

for (const dialect of dialects()) {
  describe(`ARI from a Certainty upstream, EAB, one order per renewal (${dialect})`, { timeout: 480_000 }, () => {
    let dns: TestDnsServer;
    let node: TestNode;
    let second: TestNode | undefined;
    let upstream: TestNode;
    let env: Record<string, string>;
    let upEnv: Record<string, string>;

    const run = async (e: Record<string, string>, args: string[]): Promise<string> => {
      const r = await runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), ...args], { env: e, timeoutMs: 30_000 });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const cli = (...args: string[]): Promise<string> => run(env, args);
    const upCli = (...args: string[]): Promise<string> => run(upEnv, args);
    const show = async (name: string): Promise<Json> => JSON.parse(await cli('managed', 'show', name, '--json'));
    const until = (name: string, what: string, ok: (m: Json) => boolean, timeoutMs = 30_000): Promise<Json> =>
      waitFor(async () => {
        const m = await show(name);
        return ok(m) ? m : undefined;
      }, { what: `${name}: ${what}`, timeoutMs, intervalMs: 500 });

    before(async () => {
      dns = await localhostDns();
      const databaseUrl = await freshDatabaseUrl(dialect);
      const port = await freePort();
      node = await startNode({ databaseUrl, set: { listen: `127.0.0.1:${port}`, 'tls.enabled': 'false', ...LIFECYCLE } });
      // A second node on the same database (it shares the first one's KEK); PostgreSQL only, as a cluster would.
      if (dialect === 'postgres') second = await startNode({ databaseUrl, set: { 'tls.enabled': 'false', 'kek.file': join(node.dataDir, 'kek.key'), ...LIFECYCLE } });
      const upstreamDb = await freshDatabaseUrl(dialect);
      upstream = await startNode({
        databaseUrl: upstreamDb,
        set: { 'validation.dnsServer': dns.address, 'validation.http01Port': String(port), 'acme.externalAccountRequired': 'true' },
      });
      env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
      upEnv = { CERTAINTY_DATA_DIR: upstream.dataDir, ...(upstreamDb === undefined ? {} : { CERTAINTY_DATABASE_URL: upstreamDb }) };
    });
    after(async () => {
      await second?.stop();
      await node?.stop();
      await upstream?.stop();
      await dns?.close();
    });

    test('ARI chooses the time; the upstream asking to renew now gets an order that replaces the old certificate', async () => {
      const eab = JSON.parse(await upCli('eab', 'create', '--label', 'lifecycle', '--json'));
      await cli('issuer', 'add', 'up', '--directory', upstream.directoryUrl, '--trust', join(upstream.dataDir, 'root.pem'), '--eab-kid', eab.kid, '--eab-hmac', eab.hmacKey);
      await cli('managed', 'add', 'svc', '--issuer', 'up', '--name', 'svc.ari.test');
      const first = await until('svc', 'an ARI window', (m) => m.currentRevision === 1 && m.renewalRule === 'ari');
      assert.ok(first.nextRenewalAt >= first.ari.start && first.nextRenewalAt <= first.ari.end, 'the chosen time is inside the window');
      assert.equal(first.ari.chosen, first.nextRenewalAt);
      assert.match(first.status, /\(chosen in the window the CA suggests \(ARI\)\)$/);
      assert.match(await cli('managed', 'show', 'svc'), /chosen by +chosen in the window the CA suggests \(ARI\)/);

      // Revoked upstream: its ARI window is now, and the next poll (within 2 s) renews.
      await upCli('cert', 'revoke', first.current.serial, '--reason', 'superseded');
      const renewed = await until('svc', 'the ARI renewal', (m) => m.currentRevision === 2);
      const [latest] = JSON.parse(await cli('managed', 'history', 'svc', '--json')) as Json[];
      assert.equal(latest.replaces, first.current.ariId, 'the order named the certificate it replaces');
      assert.equal(latest.rule, 'ari');
      const old = JSON.parse(await upCli('cert', 'show', first.current.serial, '--json'));
      assert.ok(old.replacedBy, 'the upstream recorded the replacement');
      assert.notEqual(renewed.current.serial, first.current.serial);
    });

    test('managed renew --now places exactly one upstream order per renewal, whichever node runs it', async () => {
      const before = await show('svc');
      await cli('managed', 'renew', 'svc', '--now');
      await cli('managed', 'renew', 'svc', '--now');
      const after = await until('svc', 'the operator renewal', (m) => m.currentRevision > before.currentRevision);
      assert.ok(after.currentRevision <= before.currentRevision + 2, 'the second request joined the first or ran after it');
      // A duplicate order would leave more upstream orders than revisions for good.
      await waitFor(async () => {
        const accounts = JSON.parse(await upCli('account', 'list', '--json')) as Json[];
        const orders = accounts.reduce((n, a) => n + Number(a.orders), 0);
        return orders === (await show('svc')).currentRevision ? true : undefined;
      }, { what: 'one upstream order per revision', timeoutMs: 30_000, intervalMs: 1000 });
    });

    test('issuer rollover gives the account a new key; orders go on under the same account', async () => {
      const before = await show('svc');
      const accountsBefore = JSON.parse(await upCli('account', 'list', '--json')) as Json[];
      assert.match(await cli('issuer', 'rollover', 'up'), /now has a new key/);
      await cli('managed', 'renew', 'svc', '--now');
      await until('svc', 'a renewal under the new key', (m) => m.currentRevision > before.currentRevision && m.lastOutcome === 'renewed');
      const accounts = JSON.parse(await upCli('account', 'list', '--json')) as Json[];
      assert.equal(accounts.length, accountsBefore.length, 'no new account');
      const thumbprints = new Map(accountsBefore.map((a) => [a.id, a.keyThumbprint]));
      assert.ok(accounts.some((a) => thumbprints.has(a.id) && thumbprints.get(a.id) !== a.keyThumbprint), 'the same account, with a new key');
      const changed = JSON.parse(await cli('audit', 'list', '--action', 'lifecycle.account-key-changed', '--json')) as Json[];
      assert.equal(changed.length, 1);
    });

    test('a fleet added at once orders under one upstream account, not one per certificate', async () => {
      const eab = JSON.parse(await upCli('eab', 'create', '--label', 'fleet', '--json'));
      await cli('issuer', 'add', 'fleet', '--directory', upstream.directoryUrl, '--trust', join(upstream.dataDir, 'root.pem'), '--eab-kid', eab.kid, '--eab-hmac', eab.hmacKey);
      const before = (JSON.parse(await upCli('account', 'list', '--json')) as Json[]).length;
      const names = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
      const file = join(node.dataDir, 'fleet.json');
      writeFileSync(file, JSON.stringify({ managed: names.map((n) => ({ name: n, issuer: 'fleet', names: [`${n}.ari.test`] })) }));
      await cli('apply', '-f', file);
      for (const n of names) await until(n, 'its first certificate', (m) => m.currentRevision === 1, 60_000).catch(async (err: Error) => assert.fail(`${err.message}: ${JSON.stringify(await show(n))}`));
      const accounts = JSON.parse(await upCli('account', 'list', '--json')) as Json[];
      assert.equal(accounts.length, before + 1, 'one new upstream account for the whole fleet');
    });

    test('a wrong EAB key ends in a clear status, never a silent stop', async () => {
      await cli('issuer', 'add', 'bad', '--directory', upstream.directoryUrl, '--trust', join(upstream.dataDir, 'root.pem'), '--eab-kid', 'kid-unknown', '--eab-hmac', Buffer.alloc(32, 7).toString('base64url'));
      await cli('managed', 'add', 'denied', '--issuer', 'bad', '--name', 'denied.ari.test');
      const m = await until('denied', 'the refused account', (s) => s.lastOutcome === 'failed');
      assert.match(m.status, /^renewal failed: upstream refused the account \(\w+\).*check the issuer's EAB key id and HMAC key.*; next try in \d+ min( \d+ s)? \(retry after a failure\)$/);
    });
  });
}
