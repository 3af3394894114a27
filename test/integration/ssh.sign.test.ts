// Signing through the admin API and the CLI without sshd: who may sign (role tokens), the bad
// input the role refuses (each a 4xx problem document and nothing signed or audited), KRL
// revocation by key id and public key checked with ssh-keygen -Q, and the CLI's sign, config,
// krl and explain, and the CA keys re-wrapped by kek rotate.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dialects } from '../support/node.ts';
import { startSshNode, type SshNode } from '../support/ssh-node.ts';
import { sshKeyPair, type SshKeyFiles } from '../support/sshd.ts';
import { run, runUnchecked } from '../support/run.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

for (const dialect of dialects()) {
  describe(`SSH signing and revocation (${dialect})`, { timeout: 180_000 }, () => {
    let n: SshNode;
    let dir: string;
    let machine: { id: string; token: string };
    let ed: SshKeyFiles;

    const signedCount = async (): Promise<number> => (await n.api('GET', '/admin/ssh/certificates', n.adminToken)).json.length;
    const auditCount = async (): Promise<number> => {
      const r = await n.cli('audit', 'list', '--action', 'ssh.certificate-signed', '--limit', '1000', '--json');
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as unknown[]).length;
    };

    before(async () => {
      dir = await makeTempDir('certainty-ssh-sign');
      n = await startSshNode(dialect);
      machine = await n.token('ci-runner', 'machine');
      const r = await n.api('PUT', '/admin/ssh/roles/dev', n.adminToken, {
        kind: 'user', principals: ['{{token.name}}', 'deploy'], allowedExtensions: ['permit-pty', 'permit-port-forwarding'], defaultExtensions: ['permit-pty'],
        ttl: '1h', maxTtl: '8h', tokens: [machine.id],
      });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      ed = await sshKeyPair(dir, 'id_ed25519', 'ed25519');
    });
    after(async () => {
      await n?.stop();
      if (dir) await removeDir(dir);
    });

    test('a granted machine token signs; principals are templated from its name; an ungranted one gets 403', async () => {
      const r = await n.api('POST', '/admin/ssh/sign', machine.token, { role: 'dev', publicKey: ed.publicKey });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.deepEqual(r.json.principals, ['ci-runner', 'deploy']);
      assert.match(r.json.keyId, /^ci-runner:dev:\d+$/);
      const other = await n.token('stranger', 'machine');
      const before = await signedCount();
      const refused = await n.api('POST', '/admin/ssh/sign', other.token, { role: 'dev', publicKey: ed.publicKey });
      assert.equal(refused.status, 403);
      assert.match(refused.json.detail, /may not sign with SSH role "dev"/);
      assert.equal(await signedCount(), before);
    });

    test('bad input is a 4xx problem document and nothing is signed', async () => {
      const dsa = await sshKeyPair(dir, 'id_dsa', 'dsa').catch(() => undefined);
      const rsa1024 = await sshKeyPair(dir, 'id_rsa1024', 'rsa', 1024);
      const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
        ['malformed key', { publicKey: 'ssh-ed25519 AAAA-not-base64' }, 400, /not base64/],
        ['truncated key', { publicKey: `ssh-ed25519 ${Buffer.from('\0\0\0\x0bssh-ed25519\0\0\0\x20abc').toString('base64')}` }, 400, /malformed/],
        ['RSA-1024', { publicKey: rsa1024.publicKey }, 400, /1024 bits/],
        ['unknown extension', { extensions: ['permit-everything'] }, 400, /Extension "permit-everything" is not allowed/],
        ['TTL above maximum', { ttl: '9h' }, 400, /TTL/],
        ['principal outside the role', { principals: ['root'] }, 400, /Principal "root" is outside role "dev"/],
        ['empty principal list', { principals: [] }, 400, /at least one principal/],
        ['unknown role', { role: 'nope' }, 404, /No SSH role "nope"/],
        ...(dsa ? [['DSA', { publicKey: dsa.publicKey }, 400, /DSA keys are refused/] as [string, Record<string, unknown>, number, RegExp]] : []),
      ];
      const signed = await signedCount();
      const audited = await auditCount();
      for (const [what, body, status, detail] of cases) {
        const r = await n.api('POST', '/admin/ssh/sign', machine.token, { role: 'dev', publicKey: ed.publicKey, ...body });
        assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
        assert.match(String(r.headers['content-type']), /application\/problem\+json/, what);
        assert.match(r.json.detail, detail, what);
      }
      assert.equal(await signedCount(), signed);
      assert.equal(await auditCount(), audited);
    });

    test('a user role without principals is refused (a certificate valid for every user)', async () => {
      const r = await n.api('PUT', '/admin/ssh/roles/open', n.adminToken, { kind: 'user', principals: [] });
      assert.equal(r.status, 400);
      assert.match(r.json.detail, /at least one principal/);
    });

    test('revocation by key id and by public key reaches the served KRL (ssh-keygen -Q)', async () => {
      const a = await n.api('POST', '/admin/ssh/sign', machine.token, { role: 'dev', publicKey: ed.publicKey });
      const other = await sshKeyPair(dir, 'id_other', 'ecdsa', 384);
      const b = await n.api('POST', '/admin/ssh/sign', n.adminToken, { role: 'dev', publicKey: other.publicKey, principals: ['deploy'] });
      const c = await n.api('POST', '/admin/ssh/sign', n.adminToken, { role: 'dev', publicKey: ed.publicKey, principals: ['deploy'] });
      for (const [name, r] of [['a', a], ['b', b], ['c', c]] as const) await writeFile(join(dir, `${name}-cert.pub`), `${r.json.certificate}\n`);
      assert.equal((await n.api('POST', '/admin/ssh/revoke', n.adminToken, { keyId: a.json.keyId })).status, 200);
      assert.equal((await n.api('POST', '/admin/ssh/revoke', n.adminToken, { publicKey: other.publicKey })).status, 200);
      const repeat = await n.api('POST', '/admin/ssh/revoke', n.adminToken, { publicKey: other.publicKey });
      assert.equal(repeat.json.created, false);
      assert.equal((await n.api('POST', '/admin/ssh/revoke', n.adminToken, { serial: '12345' })).status, 404);
      const status = (await n.api('GET', '/admin/ssh/status', n.adminToken)).json;
      assert.ok(status.revoked >= 2 && status.revocations >= 2 && status.certificates >= status.revoked, JSON.stringify(status));
      await writeFile(join(dir, 'krl'), (await n.api('GET', '/ssh/krl', undefined)).body);
      const q = await runUnchecked('ssh-keygen', ['-Q', '-f', join(dir, 'krl'), join(dir, 'a-cert.pub'), join(dir, 'b-cert.pub'), join(dir, 'c-cert.pub'), other.publicPath]);
      assert.match(q.stdout, /a-cert\.pub\): REVOKED/);
      assert.match(q.stdout, /b-cert.pub\): REVOKED/);
      assert.match(q.stdout, /c-cert.pub\): ok/);
      assert.match(q.stdout, /id_other\.pub \(.*\): REVOKED/);
    });

    test('CLI: ssh sign, ssh krl, ssh config and ssh explain', async () => {
      const out = join(dir, 'cli-cert.pub');
      const signed = await n.cli('ssh', 'sign', '--role', 'dev', '--public-key', ed.publicPath, '--principal', 'deploy', '--ttl', '30m', '--out', out);
      assert.equal(signed.code, 0, signed.stderr);
      const shown = await run('ssh-keygen', ['-L', '-f', out]);
      assert.match(shown.stdout, /Principals: \n\s+deploy\n/);
      const config = await n.cli('ssh', 'config', '--hosts', '*.example.com');
      assert.equal(config.code, 0, config.stderr);
      assert.match(config.stdout, /^TrustedUserCAKeys /m);
      assert.match(config.stdout, /^RevokedKeys /m);
      assert.match(config.stdout, /^AuthorizedPrincipalsFile /m);
      assert.match(config.stdout, /^HostCertificate /m);
      const krlPath = join(dir, 'cli.krl');
      assert.equal((await n.cli('ssh', 'krl', '--out', krlPath)).code, 0);
      assert.deepEqual(await readFile(krlPath), (await n.api('GET', '/ssh/krl', undefined)).body);
      const ok = await n.cli('ssh', 'explain', out, '--principal', 'deploy');
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /sshd would accept it/);
      const wrong = await n.cli('ssh', 'explain', out, '--principal', 'root');
      assert.equal(wrong.code, 1);
      assert.match(wrong.stdout, /FAIL principal\s+"root" is not among deploy/);
    });

    // Last: the node keeps the old KEK in memory, so nothing after this asks it to unwrap.
    test('kek rotate re-wraps the SSH CA keys: signing works with only the new KEK', async () => {
      const newKek = join(dir, 'new-kek.key');
      await writeFile(newKek, randomBytes(32).toString('base64'), { mode: 0o600 });
      const rotated = await n.cli('kek', 'rotate', '--new-file', newKek);
      assert.equal(rotated.code, 0, rotated.stderr);
      const signed = await n.cliWith({ CERTAINTY_KEK_FILE: newKek }, 'ssh', 'sign', '--role', 'dev', '--public-key', ed.publicPath, '--principal', 'deploy');
      assert.equal(signed.code, 0, signed.stderr);
      assert.match(signed.stdout, /^ssh-ed25519-cert-v01@openssh.com /);
    });
  });
}
