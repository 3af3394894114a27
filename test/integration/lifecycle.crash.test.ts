// A node killed (SIGKILL) mid-renewal, at a point seen from outside: Pebble is validating the
// http-01 challenge of the order the node placed. Restarted, the node resumes that stored order
// rather than placing another (its own counter of new upstream orders stays at zero), records
// exactly one revision, and deploys it once to its one target.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { httpRequest } from '../../src/http-client.ts';
import { startCertainty, type CertaintyServer } from '../support/certainty.ts';
import { startTestDns, type TestDns } from '../support/dns.ts';
import { freePort } from '../support/free-port.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { startPebble, type PebbleServer } from '../support/pebble.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

for (const dialect of dialects()) {
  describe(`a node killed while the upstream validates its order (${dialect})`, { timeout: 240_000 }, () => {
    let dns: TestDns;
    let pebble: PebbleServer;
    let node: CertaintyServer;
    let responder: Server;
    let dir: string;
    let rootPem: string;
    /** Set when Pebble first asks for the key authorization: the node is killed before it is answered. */
    let onFirstChallenge: (() => Promise<void>) | undefined;

    before(async () => {
      dir = await makeTempDir('lifecycle-crash');
      dns = await startTestDns();
      const http01Port = await freePort();
      // Pebble's http-01 requests (three at once: it validates from several perspectives) go to
      // this plain-HTTP relay, which reads the answer from the node once (every node serves
      // http-01 from the database), then can stop the world before answering them all.
      const answers = new Map<string, Promise<{ status: number; body: Buffer }>>();
      const answer = async (url: string): Promise<{ status: number; body: Buffer }> => {
        const fetched = await httpRequest(`${node.baseUrl}${url}`, { ca: rootPem, timeoutMs: 5_000 });
        const hook = onFirstChallenge;
        onFirstChallenge = undefined;
        if (hook) await hook();
        return fetched;
      };
      responder = createServer((req, res) => {
        const url = req.url ?? '/';
        if (!answers.has(url)) answers.set(url, answer(url));
        (answers.get(url) as Promise<{ status: number; body: Buffer }>).then(
          (a) => res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body),
          () => res.writeHead(502).end(),
        );
      });
      await new Promise<void>((resolve) => responder.listen(http01Port, '127.0.0.1', resolve));
      const config = join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ lifecycle: { checkPeriodMs: 1000, upstreamTimeoutMs: 5000, orderTimeoutMs: 30_000 } }));
      const databaseUrl = await freshDatabaseUrl(dialect);
      node = await startCertainty({
        dnsAddress: dns.dnsAddress, http01Port: await freePort(), tlsAlpn01Port: await freePort(), ...(databaseUrl === undefined ? {} : { databaseUrl }),
        env: { CERTAINTY_CONFIG: config },
      });
      rootPem = readFileSync(node.rootPemPath, 'utf8');
      pebble = await startPebble({ dnsAddress: dns.dnsAddress, http01Port, tlsAlpn01Port: await freePort() });
    });
    after(async () => {
      await node?.dispose();
      await pebble?.stop();
      await dns?.stop();
      await new Promise((resolve) => responder?.close(resolve));
      await removeDir(dir);
    });

    test('restarted, it finishes the stored order: one order, one revision, one deploy', async () => {
      const cli = async (...args: string[]): Promise<string> => node.cli(args);
      let killed = false;
      // Pebble gets its answer right after the kill (a slower one would fail the challenge, and
      // the order with it: then a new order is the protocol's only way on).
      onFirstChallenge = async () => {
        await node.kill9();
        killed = true;
      };
      await cli('issuer', 'add', 'pebble', '--directory', pebble.directoryUrl, '--trust', pebble.tlsCaPemPath);
      const targets = join(dir, 'targets.json');
      await writeFile(targets, JSON.stringify([{ type: 'file', fullchainPath: join(dir, 'fullchain.pem'), keyPath: join(dir, 'key.pem') }]));
      await cli('managed', 'add', 'web', '--issuer', 'pebble', '--name', 'web.crash.test', '--targets', targets);

      await waitFor(async () => (killed ? true : undefined), { what: 'the node killed mid-validation', timeoutMs: 60_000, intervalMs: 200 });
      const killedAt = JSON.parse(await cli('managed', 'show', 'web', '--json')) as Json;
      assert.equal(killedAt.currentRevision, 0, 'killed before the renewal was recorded');
      assert.match(killedAt.pendingOrderUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+\//, 'the order was stored before its challenge was answered');

      await node.restart();
      const done = await waitFor(async () => {
        const m = JSON.parse(await cli('managed', 'show', 'web', '--json')) as Json;
        return m.currentRevision >= 1 && existsSync(join(dir, 'fullchain.pem')) ? m : undefined;
      }, { what: 'the renewal finished after the restart', timeoutMs: 90_000, intervalMs: 1000 });
      assert.equal(done.currentRevision, 1, 'exactly one revision');
      assert.equal(JSON.parse(await cli('managed', 'history', 'web', '--json')).length, 1);
      assert.ok(readFileSync(join(dir, 'fullchain.pem'), 'utf8').startsWith(done.current.certPem.trim()));

      const token = JSON.parse(await cli('token', 'create', 'scrape', '--role', 'machine', '--json')).token as string;
      const metrics = await waitFor(async () => {
        const res = await httpRequest(`${node.baseUrl}/metrics`, { ca: rootPem, headers: { authorization: `Bearer ${token}` } });
        const text = res.body.toString('utf8');
        return /certainty_lifecycle_deploys_total\{/.test(text) ? text : undefined;
      }, { what: 'the deploy counted', timeoutMs: 20_000, intervalMs: 500 });
      assert.doesNotMatch(metrics, /^certainty_lifecycle_upstream_orders_total\{issuer="pebble",outcome="created"\} [1-9]/m, 'the restarted node placed no new order');
      assert.match(metrics, /^certainty_lifecycle_deploys_total\{target="file",outcome="deployed"\} 1$/m, 'one deploy to the one target');
    });
  });
}
