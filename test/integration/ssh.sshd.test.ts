// Certificates from the SSH CA against Debian's real sshd and ssh client on 127.0.0.1: accepted,
// wrong principal, expired, revoked through the served KRL, force-command, source-address, a host
// certificate trusted through @cert-authority with StrictHostKeyChecking=yes, a host renewing its
// certificate by proof of possession, and logins through a CA rotation. One sshd per dialect; its trust files are rewritten as the CA's change.
import * as assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { httpRequest } from '../../src/http-client.ts';
import { RENEW_NAMESPACE, renewMessage } from '../../src/ssh/renew.ts';
import { dialects } from '../support/node.ts';
import { startSshNode, type SshNode } from '../support/ssh-node.ts';
import { ensureSshTestUser, SSH_TEST_USER, sshdHostKey, sshKeyPair, sshLogin, startSshd, type Sshd, type SshKeyFiles } from '../support/sshd.ts';
import { run } from '../support/run.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const HOST = 'sshd.test.internal';

for (const dialect of dialects()) {
  describe(`SSH certificates against sshd (${dialect})`, { timeout: 180_000 }, () => {
    let n: SshNode;
    let sshd: Sshd;
    let dir: string;
    let machine: { id: string; token: string };
    let userKey: SshKeyFiles;
    let hostKey: SshKeyFiles;
    let certCount = 0;

    /** Signs `userKey` with role `dev` through the API as the machine token; writes the certificate file. */
    const sign = async (body: Record<string, unknown>, token = machine.token): Promise<{ path: string; serial: string; keyId: string }> => {
      const r = await n.api('POST', '/admin/ssh/sign', token, { role: 'dev', publicKey: userKey.publicKey, ...body });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      const path = join(dir, `cert-${++certCount}-cert.pub`);
      await writeFile(path, `${r.json.certificate}\n`);
      return { path, serial: r.json.serial, keyId: r.json.keyId };
    };
    const login = (certificate: string, command = 'echo logged-in') => sshLogin({
      port: sshd.port, user: SSH_TEST_USER, identity: userKey.privatePath, certificate, knownHostsPath: join(dir, 'known_hosts'), hostAlias: HOST, command,
    });
    /** Fetches the trust lines and the KRL from the node, as a server's timer would. */
    const refreshTrust = async (): Promise<void> => {
      await writeFile(sshd.userCaPath, (await n.api('GET', '/ssh/ca.pub?kind=user', undefined)).body);
      await writeFile(join(dir, 'known_hosts'), (await n.api('GET', '/ssh/ca.pub?kind=host&hosts=*.test.internal', undefined)).body);
      await writeFile(sshd.krlPath, (await n.api('GET', '/ssh/krl', undefined)).body);
    };

    before(async () => {
      await ensureSshTestUser();
      dir = await makeTempDir('certainty-sshd');
      n = await startSshNode(dialect);
      machine = await n.token('deploy-bot', 'machine');
      const userCa = await n.api('POST', '/admin/ssh/cas', n.adminToken, { kind: 'user' });
      assert.equal(userCa.json.status, 'active', JSON.stringify(userCa.json));
      let r = await n.api('PUT', '/admin/ssh/roles/dev', n.adminToken, {
        kind: 'user', principals: ['alice', 'bob'], allowedCriticalOptions: ['force-command', 'source-address'], ttl: '1h', maxTtl: '8h', tokens: [machine.id],
      });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      r = await n.api('PUT', '/admin/ssh/roles/hosts', n.adminToken, { kind: 'host', allowedDomains: ['test.internal'], ttl: '7d' });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      hostKey = await sshdHostKey(dir);
      r = await n.api('POST', '/admin/ssh/sign', n.adminToken, { role: 'hosts', publicKey: hostKey.publicKey, principals: [HOST] });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      sshd = await startSshd(dir, hostKey, r.json.certificate);
      await writeFile(sshd.principalsFor(SSH_TEST_USER), 'alice\n');
      userKey = await sshKeyPair(dir, 'id_ed25519', 'ed25519');
      await refreshTrust();
    });
    after(async () => {
      await sshd?.stop();
      await n?.stop();
      if (dir) await removeDir(dir);
    });

    test('a certificate for an allowed principal logs in; ssh-keygen -L reads it', async () => {
      const cert = await sign({ principals: ['alice'] });
      const shown = await run('ssh-keygen', ['-L', '-f', cert.path]);
      assert.match(shown.stdout, /ssh-ed25519-cert-v01@openssh.com user certificate/);
      assert.match(shown.stdout, new RegExp(`Serial: ${cert.serial}`));
      assert.match(shown.stdout, /permit-pty/);
      const r = await login(cert.path);
      assert.equal(r.code, 0, `${r.stderr}\n${await sshd.daemon.logTail(20)}`);
      assert.equal(r.stdout.trim(), 'logged-in');
    });

    test('a certificate for another principal is refused', async () => {
      const r = await login((await sign({ principals: ['bob'] })).path);
      assert.equal(r.code, 255);
      assert.match(r.stderr, /Permission denied/);
    });

    test('an expired certificate is refused', async () => {
      const put = await n.api('PUT', '/admin/ssh/roles/brief', n.adminToken, { kind: 'user', principals: ['alice'], ttl: '1s', maxTtl: '1s', backdate: '0s', tokens: [machine.id] });
      assert.equal(put.status, 200, JSON.stringify(put.json));
      const cert = await sign({ role: 'brief' });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const r = await login(cert.path);
      assert.equal(r.code, 255);
      const explained = await n.api('POST', '/admin/ssh/explain', n.adminToken, { certificate: (await run('cat', [cert.path])).stdout, principal: 'alice' });
      assert.equal(explained.json.accepted, false);
      assert.match(explained.json.checks.find((c: { check: string }) => c.check === 'validity').detail, /expired/);
    });

    test('force-command is honoured', async () => {
      const r = await login((await sign({ principals: ['alice'], criticalOptions: { 'force-command': 'echo forced' } })).path, 'echo asked');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'forced');
    });

    test('source-address is honoured', async () => {
      const elsewhere = await login((await sign({ principals: ['alice'], criticalOptions: { 'source-address': '10.9.9.9/32' } })).path);
      assert.equal(elsewhere.code, 255);
      const here = await login((await sign({ principals: ['alice'], criticalOptions: { 'source-address': '127.0.0.1/32' } })).path);
      assert.equal(here.code, 0, here.stderr);
    });

    test('the host is trusted only through the host CA (@cert-authority, StrictHostKeyChecking=yes)', async () => {
      const cert = await sign({ principals: ['alice'] });
      await writeFile(join(dir, 'known_hosts'), '');
      const r = await login(cert.path);
      assert.equal(r.code, 255);
      assert.match(r.stderr, /Host key verification failed|No .* host key is known/);
      await refreshTrust();
      assert.equal((await login(cert.path)).code, 0);
    });

    test('a revoked certificate is refused once the served KRL is installed; the KRL answers If-None-Match', async () => {
      const cert = await sign({ principals: ['alice'] });
      assert.equal((await login(cert.path)).code, 0);
      const before = await n.api('GET', '/ssh/krl', undefined);
      const r = await n.api('POST', '/admin/ssh/revoke', n.adminToken, { serial: cert.serial, reason: 'laptop lost' });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const krl = await n.api('GET', '/ssh/krl', undefined);
      assert.notEqual(krl.headers.etag, before.headers.etag);
      const again = await httpRequest(`${n.node.baseUrl}/ssh/krl`, { ca: n.node.rootPem, headers: { 'if-none-match': String(krl.headers.etag) } });
      assert.equal(again.status, 304);
      await writeFile(sshd.krlPath, krl.body);
      const q = await run('ssh-keygen', ['-Q', '-f', sshd.krlPath, cert.path], { timeoutMs: 10_000 }).catch((e: { result: { stdout: string } }) => e.result);
      assert.match(q.stdout, /REVOKED/);
      const refused = await login(cert.path);
      assert.equal(refused.code, 255);
      assert.equal((await login((await sign({ principals: ['alice'] })).path)).code, 0, 'a certificate not revoked still logs in');
    });

    test('a host renews its certificate by proof of possession (certainty ssh renew, no token); another key cannot', async () => {
      const certPath = `${hostKey.privatePath}-cert.pub`;
      const before = await run('ssh-keygen', ['-L', '-f', certPath]);
      const rootPem = join(dir, 'root.pem');
      await writeFile(rootPem, n.node.rootPem);
      const renewed = await n.cli('ssh', 'renew', '--server', n.node.baseUrl, '--certificate', certPath, '--key', hostKey.privatePath, '--cacert', rootPem);
      assert.equal(renewed.code, 0, renewed.stderr);
      const after = await run('ssh-keygen', ['-L', '-f', certPath]);
      assert.match(after.stdout, /host certificate/);
      assert.match(after.stdout, new RegExp(`Principals: \\n\\s+${HOST.replace(/\./g, '\\.')}\\n`));
      assert.notEqual(/Serial: (\d+)/.exec(after.stdout)?.[1], /Serial: (\d+)/.exec(before.stdout)?.[1]);
      // sshd reads its host certificate when it (re)starts: SIGHUP, then a login checks it under StrictHostKeyChecking=yes.
      process.kill(sshd.daemon.pid, 'SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await login((await sign({ principals: ['alice'] })).path)).code, 0);
      const thief = await sshKeyPair(dir, 'thief', 'ed25519');
      const certificate = (await readFile(certPath, 'utf8')).trim();
      const timestamp = new Date().toISOString();
      await writeFile(join(dir, 'renewal'), renewMessage(timestamp, certificate));
      await run('ssh-keygen', ['-q', '-Y', 'sign', '-f', thief.privatePath, '-n', RENEW_NAMESPACE, join(dir, 'renewal')]);
      const stolen = await n.api('POST', '/ssh/renew', undefined, { certificate, timestamp, signature: await readFile(join(dir, 'renewal.sig'), 'utf8') });
      assert.equal(stolen.status, 403);
      assert.match(stolen.json.detail, /does not prove possession/);
    });

    test('logins keep working through a user CA rotation', async () => {
      const old = await sign({ principals: ['alice'] });
      const created = await n.api('POST', '/admin/ssh/cas', n.adminToken, { kind: 'user', algorithm: 'ecdsa-p256' });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      assert.equal(created.json.status, 'standby');
      await refreshTrust();
      assert.equal((await login(old.path)).code, 0, 'old CA certificate, both CAs trusted');
      const rotated = await n.api('POST', '/admin/ssh/cas/rotate', n.adminToken, { kind: 'user' });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.json));
      const fresh = await sign({ principals: ['alice'] });
      assert.match((await run('ssh-keygen', ['-L', '-f', fresh.path])).stdout, /Signing CA: ECDSA/);
      assert.equal((await login(fresh.path)).code, 0, 'new CA certificate');
      assert.equal((await login(old.path)).code, 0, 'old CA certificate while it retires');
      const retired = await n.api('POST', `/admin/ssh/cas/${rotated.json.retiring.id}/retire`, n.adminToken);
      assert.equal(retired.status, 200, JSON.stringify(retired.json));
      await refreshTrust();
      assert.equal((await login(fresh.path)).code, 0, 'new CA certificate after the old CA is retired');
      assert.equal((await login(old.path)).code, 255, 'old CA certificate once its CA is retired');
    });
  });
}
