// Notifications of lifecycle conditions through real receivers: an SMTP server (Debian's aiosmtpd,
// STARTTLS and AUTH required) gets one email for a renewal that keeps failing against an
// unreachable upstream (a second Certainty, stopped), however many attempts fail, and one
// "resolved" email once the upstream is back and the renewal succeeds; a local HTTP receiver
// checks the webhook's HMAC signature and the Slack payload's shape, and answers 500 first to
// show the message comes again (at least once); `notify test` through the CLI.
import * as assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestDnsServer } from '../../src/lab/dns-server.ts';
import { httpRequest } from '../../src/http-client.ts';
import { localhostDns } from '../support/acme-node.ts';
import { testCli } from '../support/cli.ts';
import { freePort } from '../support/free-port.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Received { path: string; headers: IncomingMessage['headers']; body: string; answered: number }

/** Records every POST; `/hook` answers 500 to its first request, everything else 200. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  let hookSeen = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const answered = path === '/hook' && hookSeen++ === 0 ? 500 : 200;
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}

const LIFECYCLE = { 'lifecycle.checkPeriodMs': '1000', 'lifecycle.upstreamTimeoutMs': '3000', 'lifecycle.orderTimeoutMs': '30000' };

for (const dialect of dialects()) {
  describe(`lifecycle notifications by email, webhook and Slack (${dialect})`, { timeout: 420_000 }, () => {
    let dir: string;
    let dns: TestDnsServer;
    let sink: SmtpSink;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let node: TestNode;
    let upstream: TestNode | undefined;
    let upstreamSettings: { databaseUrl: string | undefined; dataDir: string; set: Record<string, string> };
    let env: Record<string, string>;

    const { cli, cliOk, show } = testCli(() => env);
    const mails = async (subject: RegExp) => (await sink.messages()).filter((m) => subject.test(m.headers.subject ?? ''));

    before(async () => {
      dir = await makeTempDir('lifecycle-notify');
      dns = await localhostDns();
      sink = await startSmtpSink(dir);
      receiver = await startReceiver();
      const databaseUrl = await freshDatabaseUrl(dialect);
      const port = await freePort();
      node = await startNode({ databaseUrl, set: { listen: `127.0.0.1:${port}`, 'tls.enabled': 'false', ...LIFECYCLE } });
      upstreamSettings = {
        databaseUrl: await freshDatabaseUrl(dialect), dataDir: await makeTempDir('notify-upstream'),
        set: { listen: `127.0.0.1:${await freePort()}`, 'validation.dnsServer': dns.address, 'validation.http01Port': String(port) },
      };
      upstream = await startNode(upstreamSettings);
      env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    });
    after(async () => {
      await node?.stop();
      await upstream?.stop();
      await receiver?.close();
      await sink?.stop();
      await dns?.close();
      if (upstreamSettings) await removeDir(upstreamSettings.dataDir);
      if (dir) await removeDir(dir);
    });

    test('a failing renewal is emailed once despite several failed attempts, and "resolved" once when it succeeds', async () => {
      const password = join(dir, 'smtp-password');
      writeFileSync(password, `${sink.password}\n`);
      await cliOk('notify', 'add', 'mail', '--type', 'email', '--smtp-host', '127.0.0.1', '--smtp-port', String(sink.port), '--smtp-user', sink.user,
        '--secret-file', password, '--trust', sink.caPemPath, '--from', 'certainty@notify.test', '--to', 'ops@notify.test', '--event', 'renewal-failed');
      assert.match(await cliOk('notify', 'test', 'mail'), /delivered/);
      const tested = await mails(/test notification/);
      assert.equal(tested.length, 1);
      assert.equal(tested[0]?.headers['x-sink-tls'], 'yes', 'sent inside STARTTLS');
      assert.equal(tested[0]?.headers['x-sink-user'], sink.user, 'logged in with the wrapped password');

      await cliOk('issuer', 'add', 'up', '--directory', upstream?.directoryUrl ?? '', '--trust', join(upstreamSettings.dataDir, 'root.pem'));
      await upstream?.stop();
      upstream = undefined;
      await cliOk('managed', 'add', 'svc', '--issuer', 'up', '--name', 'svc.notify.test');
      // Backoff after an unreachable upstream: 5 s, then 10 s; wait for the second failure.
      const failed = await waitFor(async () => {
        const m = await show('svc');
        return m.failures >= 2 ? m : undefined;
      }, { what: 'two failed attempts', timeoutMs: 60_000, intervalMs: 500 });
      assert.match(failed.status, /upstream unreachable/);
      const failureMails = await waitFor(async () => {
        const got = await mails(/svc: renewal failed/);
        return got.length > 0 ? got : undefined;
      }, { what: 'the renewal-failed email', timeoutMs: 20_000, intervalMs: 500 });
      assert.equal(failureMails.length, 1, `one email for ${failed.failures} failed attempts`);
      assert.match(failureMails[0]?.text ?? '', /could not renew the managed certificate svc: upstream unreachable \(ECONNREFUSED\).*managed renew svc --now/s);

      upstream = await startNode(upstreamSettings);
      await cliOk('managed', 'renew', 'svc', '--now');
      await waitFor(async () => ((await show('svc')).currentRevision >= 1 ? true : undefined), { what: 'the renewal once the upstream is back', timeoutMs: 60_000, intervalMs: 500 });
      const resolved = await waitFor(async () => {
        const got = await mails(/svc: resolved/);
        return got.length > 0 ? got : undefined;
      }, { what: 'the resolved email', timeoutMs: 20_000, intervalMs: 500 });
      assert.equal(resolved.length, 1);
      assert.match(resolved[0]?.text ?? '', /Resolved for svc: renewed \(revision 1, serial /);
      assert.equal((await mails(/svc: renewal failed/)).length, 1, 'still one failure email');
      assert.equal((await mails(/issued/)).length, 0, 'the channel hears only renewal-failed');
    });

    test('the webhook is HMAC-signed and delivered again after a 500; Slack gets text and blocks; secrets are never shown', async () => {
      const key = join(dir, 'hook-key');
      writeFileSync(key, 'a-webhook-hmac-key-0123456789\n');
      const slack = join(dir, 'slack-url');
      writeFileSync(slack, `${receiver.url}/slack/T000/B000/XXXXsecretpath\n`);
      await cliOk('notify', 'add', 'hook', '--type', 'webhook', '--url', `${receiver.url}/hook`, '--secret-file', key, '--event', 'renewed,renewal-failed');
      await cliOk('notify', 'add', 'chat', '--type', 'slack', '--secret-file', slack, '--event', 'renewed');
      const listed = await cliOk('notify', 'list');
      assert.match(listed, /chat +slack +renewed +Slack webhook \(URL kept secret\)/);
      assert.ok(!listed.includes('XXXXsecretpath') && !listed.includes('a-webhook-hmac-key'), 'no secret in the listing');

      await cliOk('managed', 'renew', 'svc', '--now');
      const hooks = await waitFor(async () => {
        const got = receiver.received.filter((r) => r.path === '/hook');
        return got.some((r) => r.answered === 200) ? got : undefined;
      }, { what: 'the webhook delivered after its 500', timeoutMs: 60_000, intervalMs: 250 });
      assert.equal(hooks[0]?.answered, 500);
      assert.equal(hooks[0]?.body, hooks[1]?.body, 'the same message again');
      for (const h of hooks) {
        const timestamp = String(h.headers['x-certainty-timestamp']);
        const expected = `sha256=${createHmac('sha256', 'a-webhook-hmac-key-0123456789').update(`${timestamp}.${h.body}`).digest('hex')}`;
        assert.equal(h.headers['x-certainty-signature'], expected, 'signed with the HMAC key over timestamp.body');
      }
      const event = JSON.parse(hooks[1]?.body ?? '{}');
      assert.equal(event.event, 'renewed');
      assert.equal(event.name, 'svc');
      assert.match(event.text, /was renewed: revision \d+, serial /);
      const outbox = await waitFor(async () => {
        const rows = JSON.parse(await cliOk('notify', 'outbox', '--json')) as Json[];
        return rows.find((e) => e.channel === 'hook' && e.deliveredAt !== undefined);
      }, { what: 'the hook message recorded as delivered', timeoutMs: 20_000, intervalMs: 500 });
      assert.ok(outbox.attempts >= 2, 'the failed attempt is counted');
      assert.match(outbox.lastError, /answered HTTP 500/);

      const chat = await waitFor(async () => receiver.received.find((r) => r.path.startsWith('/slack/')), { what: 'the Slack message', timeoutMs: 20_000, intervalMs: 250 });
      const payload = JSON.parse(chat.body);
      assert.match(payload.text, /^svc: certificate renewed: /);
      assert.deepEqual(payload.blocks.map((b: Json) => b.type), ['header', 'section']);

      const audit = JSON.parse(await cliOk('audit', 'list', '--action', 'notify.channel-added', '--json')) as Json[];
      assert.ok(audit.length >= 3);
      assert.ok(!JSON.stringify(audit).includes('XXXXsecretpath'));
    });

    test('notify test reports a channel that cannot deliver; the admin API lists channels by permission', async () => {
      const key = join(dir, 'dead-key');
      writeFileSync(key, 'another-hmac-key-0123456789');
      await cliOk('notify', 'add', 'dead', '--type', 'webhook', '--url', `http://127.0.0.1:${await freePort()}/gone`, '--secret-file', key);
      const r = await cli('notify', 'test', 'dead');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /NOT delivered through dead: webhook http:\/\/127\.0\.0\.1:\d+\/gone could not be reached/);
      const bad = await cli('notify', 'add', 'x', '--type', 'email', '--smtp-host', '127.0.0.1', '--from', 'a@b.test');
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /at least one --to/);

      const admin = JSON.parse(await cliOk('token', 'create', 'ops', '--json'));
      const machine = JSON.parse(await cliOk('token', 'create', 'robot', '--role', 'machine', '--json'));
      const call = (token: string, method: string, path: string) => httpRequest(node.baseUrl + path, { method, headers: { authorization: `Bearer ${token}` } });
      const listed = await call(admin.token, 'GET', '/admin/notifications');
      assert.equal(listed.status, 200);
      const names = (JSON.parse(listed.body.toString('utf8')) as Json[]).map((c) => c.name);
      assert.deepEqual(names, ['chat', 'dead', 'hook', 'mail']);
      assert.ok(!listed.body.toString('utf8').includes('XXXXsecretpath'));
      assert.equal((await call(machine.token, 'GET', '/admin/notifications')).status, 403);
      assert.equal((await call(admin.token, 'DELETE', '/admin/notifications/dead')).status, 200);
      assert.match(await cliOk('notify', 'list'), /^(?![\s\S]*\bdead\b)/);
    });
  });
}
