// Deploy targets against real programs: files written atomically with their modes and owners,
// a deploy hook, a webhook receiver that checks the HMAC, a live HAProxy replaced through its
// runtime API (and keeping the certificate over a restart), a live nginx reloaded by signal and
// by command; every second deploy of the same revision reports `changed: false`, and targets
// that refuse say what to fix.
import * as assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { chmod, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { deployTo } from '../../src/lifecycle/deploy/deploy.ts';
import { haproxyBundle } from '../../src/lifecycle/deploy/haproxy-target.ts';
import type { CertificateMaterial, DeployDeps, TargetSpec } from '../../src/lifecycle/deploy/types.ts';
import { verifyServed } from '../../src/lifecycle/deploy/verify.ts';
import { rejectsWith } from '../support/app-error.ts';
import { startTlsHaproxy, startTlsNginx } from '../support/deploy-targets.ts';
import { freePort } from '../support/free-port.ts';
import { materialCa, type MaterialCa } from '../support/lifecycle-material.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const HOOK_KEY = 'whsec-test-key';
const deps: DeployDeps = {
  now: () => Date.now(),
  log: pino({ level: 'silent' }),
  secret: async (ref) => (ref === 'hook' ? HOOK_KEY : Promise.reject(new Error(`no secret ${ref}`))),
};
const fast = { attempts: 20, delayMs: 100 };

let ca: MaterialCa;
let first: CertificateMaterial;
let second: CertificateMaterial;
let dir: string;

before(async () => {
  ca = await materialCa();
  first = await ca.issue('web', ['a.deploy.test', '127.0.0.1']);
  second = await ca.issue('web', ['a.deploy.test', '127.0.0.1']);
  dir = await makeTempDir('deploy');
});
after(() => removeDir(dir));

describe('file target', () => {
  test('writes atomically with modes and owners, then reports no change for the same revision', async () => {
    // Giving files away needs root; as another user the test checks everything else.
    const asRoot = process.getuid?.() === 0;
    const owners = asRoot ? { owner: 'nobody', group: 'nogroup' } : {};
    const spec: TargetSpec = { type: 'file', certPath: join(dir, 'f-cert.pem'), fullchainPath: join(dir, 'f-full.pem'), keyPath: join(dir, 'f-key.pem'), ...owners, mode: '0640' };
    const a = await deployTo(spec, first, deps);
    assert.equal(a.changed, true);
    assert.equal(await readFile(join(dir, 'f-key.pem'), 'utf8'), first.keyPem);
    assert.equal(await readFile(join(dir, 'f-full.pem'), 'utf8'), `${first.certPem}${first.chainPem}`);
    const key = await stat(join(dir, 'f-key.pem'));
    assert.equal(key.mode & 0o777, 0o600, 'the key defaults to 0600');
    assert.equal((await stat(join(dir, 'f-cert.pem'))).mode & 0o777, 0o640);
    if (asRoot) assert.deepEqual([key.uid, key.gid], [65534, 65534], 'owner nobody, group nogroup');

    const again = await deployTo(spec, first, deps);
    assert.deepEqual([again.changed, (await stat(join(dir, 'f-key.pem'))).ino], [false, key.ino], 'nothing rewritten');

    const b = await deployTo(spec, second, deps);
    assert.equal(b.changed, true);
    assert.notEqual((await stat(join(dir, 'f-key.pem'))).ino, key.ino, 'replaced by rename, not rewritten in place');
    assert.equal(await readFile(join(dir, 'f-cert.pem'), 'utf8'), second.certPem);
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');

    await chmod(join(dir, 'f-cert.pem'), 0o666);
    assert.equal((await deployTo(spec, second, deps)).changed, true, 'a wrong mode is put right');
    assert.equal((await stat(join(dir, 'f-cert.pem'))).mode & 0o777, 0o640);
  });

  test('a path that cannot be written is an error that names it and the fix', async () => {
    await rejectsWith(deployTo({ type: 'file', certPath: join(dir, 'missing-dir', 'c.pem') }, first, deps), 'deployFailed', /cannot write .*missing-dir.* \(ENOENT\): create the directory first/);
    await rejectsWith(deployTo({ type: 'file', certPath: join(dir, 'c.pem'), owner: 'no-such-user' }, first, deps), 'deployFailed', /no user "no-such-user" in \/etc\/passwd/);
  });
});

describe('exec target', () => {
  test('runs the hook with the names and the paths of the files it wrote, once per revision', async () => {
    const out = join(dir, 'hook.env');
    const hook = join(dir, 'hook.sh');
    await writeFile(hook, `#!/bin/sh\nenv | grep -E '^(CERTAINTY_|SERVICE=)' | sort >> ${out}\necho --- >> ${out}\n`, { mode: 0o755 });
    const spec: TargetSpec = { type: 'exec', command: hook, env: { SERVICE: 'web' }, files: { fullchainPath: join(dir, 'x-full.pem'), keyPath: join(dir, 'x-key.pem') } };
    assert.equal((await deployTo(spec, first, deps)).changed, true);
    const env = await readFile(out, 'utf8');
    for (const line of [`CERTAINTY_NAME=web`, `CERTAINTY_NAMES=a.deploy.test 127.0.0.1`, `CERTAINTY_SERIAL=${first.serial}`,
      `CERTAINTY_FULLCHAIN_PATH=${join(dir, 'x-full.pem')}`, `CERTAINTY_KEY_PATH=${join(dir, 'x-key.pem')}`, 'SERVICE=web']) {
      assert.ok(env.split('\n').includes(line), `${line} in\n${env}`);
    }
    assert.doesNotMatch(env, /CERTAINTY_CERT_PATH|PRIVATE KEY/);
    assert.equal((await deployTo(spec, first, deps)).changed, false, 'not run again for the same revision');
    assert.equal((await readFile(out, 'utf8')).split('---').length - 1, 1);
    assert.equal((await deployTo(spec, second, deps)).changed, true);
  });

  test('a hook that fails is retried on the next deploy even though its files are in place', async () => {
    const flag = join(dir, 'hook-fails');
    const hook = join(dir, 'flaky.sh');
    await writeFile(flag, '');
    await writeFile(hook, `#!/bin/sh\nif [ -e ${flag} ]; then echo "starting" >&2; echo "reload failed: service web is masked" >&2; exit 3; fi\n`, { mode: 0o755 });
    const spec: TargetSpec = { type: 'exec', command: hook, files: { certPath: join(dir, 'y-cert.pem') } };
    await rejectsWith(deployTo(spec, first, deps), 'deployFailed', /exited with status 3; its stderr ends with: starting \| reload failed: service web is masked$/);
    await rm(flag);
    assert.equal((await deployTo(spec, first, deps)).changed, true, 'the hook runs again');
    assert.equal((await deployTo(spec, first, deps)).changed, false);
  });

  test('a hook that hangs is killed at its timeout, and a missing program is named', async () => {
    await rejectsWith(deployTo({ type: 'exec', command: '/bin/sleep', args: ['30'], timeoutMs: 300 }, first, deps), 'deployFailed', /did not finish within 300 ms and was killed/);
    await rejectsWith(deployTo({ type: 'exec', command: join(dir, 'nope') }, first, deps), 'deployFailed', /no such program: check the path/);
  });
});

describe('webhook target', () => {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let status = 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-certainty-timestamp']);
      const mac = Buffer.from(`sha256=${createHmac('sha256', HOOK_KEY).update(`${ts}.${body}`).digest('hex')}`);
      const sig = Buffer.from(String(req.headers['x-certainty-signature']));
      if (sig.length !== mac.length || !timingSafeEqual(sig, mac)) return void res.writeHead(401).end('bad signature');
      if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return void res.writeHead(401).end('stale');
      received.push({ headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{}' : '{"error":"disk full on the receiver"}');
    });
  });
  let url = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/certs`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('posts the signed payload, with the key only when opted in', async () => {
    assert.equal((await deployTo({ type: 'webhook', url, secretRef: 'hook' }, first, deps)).changed, true);
    await deployTo({ type: 'webhook', url, secretRef: 'hook', includePrivateKey: true, headers: { 'X-Team': 'web' } }, first, deps);
    assert.equal(received.length, 2, 'both passed the HMAC check');
    const [plain, withKey] = received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    assert.equal(plain?.['keyPem'], undefined);
    assert.equal(plain?.['serial'], first.serial);
    assert.equal(plain?.['certPem'], first.certPem);
    assert.equal(withKey?.['keyPem'], first.keyPem);
    assert.equal(received[1]?.headers['x-team'], 'web');
    assert.equal(received[0]?.headers['x-certainty-delivery'], first.fingerprint256);
  });

  test('a receiver answering non-2xx, a wrong key or no receiver at all is an error', async () => {
    status = 507;
    await rejectsWith(deployTo({ type: 'webhook', url, secretRef: 'hook' }, first, deps), 'deployFailed', /answered 507: \{"error":"disk full on the receiver"\}/);
    status = 200;
    const wrongKey: DeployDeps = { ...deps, secret: async () => 'another key' };
    await rejectsWith(deployTo({ type: 'webhook', url, secretRef: 'hook' }, first, wrongKey), 'deployFailed', /answered 401: bad signature/);
    const closed = `http://127.0.0.1:${await freePort()}/x`;
    await rejectsWith(deployTo({ type: 'webhook', url: closed, secretRef: 'hook' }, first, deps), 'deployFailed', /could not be reached/);
  });
});

describe('haproxy target (real HAProxy, runtime API)', () => {
  let hx: Awaited<ReturnType<typeof startTlsHaproxy>>;
  let crtPath = '';
  let otherCrt = '';
  let hdir = '';
  before(async () => {
    hdir = await makeTempDir('deploy-haproxy');
    crtPath = join(hdir, 'site.pem');
    otherCrt = join(hdir, 'other-site.pem');
    await writeFile(crtPath, haproxyBundle(first), { mode: 0o600 });
    await writeFile(otherCrt, haproxyBundle(await ca.issue('other', ['b.deploy.test'])), { mode: 0o600 });
    hx = await startTlsHaproxy(hdir, [crtPath, otherCrt]);
  });
  after(async () => {
    await hx.stop();
    await removeDir(hdir);
  });

  test('replaces the served certificate live, keeps it over a restart, and does nothing the second time', async () => {
    const endpoint = { host: '127.0.0.1', port: hx.port, servername: 'a.deploy.test' };
    assert.equal((await verifyServed(endpoint, first.fingerprint256, { attempts: 1 })).verified, true);
    const spec: TargetSpec = { type: 'haproxy', socket: hx.socketPath, crtPath };
    const pid = hx.daemon.pid;
    const outcome = await deployTo(spec, second, deps);
    assert.equal(outcome.changed, true, outcome.detail);
    const live = await verifyServed(endpoint, second.fingerprint256, { ...fast, trust: ca.rootPem });
    assert.equal(live.verified, true, live.detail);
    assert.deepEqual([live.chainValid, live.chainError], [true, null], 'the chain HAProxy sends leads to the CA');
    const untrusted = await verifyServed(endpoint, second.fingerprint256, { attempts: 1 });
    assert.deepEqual([untrusted.verified, untrusted.chainValid], [true, false], 'verified is about which certificate, the chain is reported apart');
    assert.match(untrusted.detail, /serves the new certificate \(its chain does not verify: /);
    assert.equal(hx.daemon.pid, pid, 'no restart');
    assert.equal(await readFile(crtPath, 'utf8'), haproxyBundle(second));
    assert.equal((await deployTo({ ...spec, socket: hx.apiAddress }, second, deps)).changed, false, 'the serial is already served (over TCP too)');
    await hx.restart();
    assert.equal((await verifyServed(endpoint, second.fingerprint256, fast)).verified, true, 'kept over a restart through the file');
  });

  test('a certificate HAProxy does not load, and a socket nobody listens on, are refused with the fix', async () => {
    await rejectsWith(deployTo({ type: 'haproxy', socket: hx.socketPath, crtPath: join(dir, 'other.pem') }, second, deps), 'deployFailed', /HAProxy does not know the certificate .*other\.pem.*add `ssl crt/);
    await rejectsWith(deployTo({ type: 'haproxy', socket: `127.0.0.1:${await freePort()}`, crtPath }, second, deps), 'deployFailed', /connection refused: HAProxy is not running/);
    await rejectsWith(deployTo({ type: 'haproxy', socket: join(dir, 'no.sock'), crtPath }, second, deps), 'deployFailed', /no such socket/);
  });

  test("an update of another certificate left open is never spoilt: the deploy waits for it", async () => {
    const third = await ca.issue('web', ['a.deploy.test']);
    const pending = await hx.command(`set ssl cert ${otherCrt} <<\n${haproxyBundle(third).split('\n').filter((l) => l !== '').join('\n')}\n\n`);
    assert.match(pending, /Transaction created/);
    const spec: TargetSpec = { type: 'haproxy', socket: hx.socketPath, crtPath };
    await rejectsWith(deployTo(spec, third, deps), 'deployFailed', /unfinished update of .*other-site\.pem open .* `abort ssl cert .*other-site\.pem`/);
    assert.match(await hx.command(`abort ssl cert ${otherCrt}`), /Transaction aborted/);
    assert.equal((await deployTo(spec, third, deps)).changed, true);
    const endpoint = { host: '127.0.0.1', port: hx.port, servername: 'a.deploy.test' };
    assert.equal((await verifyServed(endpoint, third.fingerprint256, fast)).verified, true);
  });
});

describe('nginx target (real nginx)', () => {
  let ngx: Awaited<ReturnType<typeof startTlsNginx>>;
  let files: { fullchainPath: string; keyPath: string };
  let ndir = '';
  before(async () => {
    ndir = await makeTempDir('deploy-nginx');
    files = { fullchainPath: join(ndir, 'full.pem'), keyPath: join(ndir, 'key.pem') };
    await deployTo({ type: 'file', ...files }, first, deps);
    ngx = await startTlsNginx(ndir, files);
  });
  after(async () => {
    await ngx.stop();
    await removeDir(ndir);
  });

  test('writes the files, reloads by pid file and waits until the new certificate is served', async () => {
    const verify = { host: '127.0.0.1', port: ngx.port, servername: 'a.deploy.test' };
    assert.equal((await verifyServed(verify, first.fingerprint256, { attempts: 1 })).verified, true);
    const spec: TargetSpec = { type: 'nginx', ...files, pidFile: ngx.pidFile, verify };
    const outcome = await deployTo(spec, second, deps);
    assert.equal(outcome.changed, true);
    assert.match(outcome.detail, /reloaded nginx, which serves the new certificate/);
    assert.equal((await deployTo(spec, second, deps)).changed, false);
  });

  test('reloads by command; a failing reload is an error with nginx\'s own words', async () => {
    const verify = { host: '127.0.0.1', port: ngx.port, servername: 'a.deploy.test' };
    const spec: TargetSpec = { type: 'nginx', ...files, reloadCommand: ['/usr/sbin/nginx', '-s', 'reload', ...ngx.args], verify };
    assert.equal((await deployTo(spec, first, deps)).changed, true);
    // `nginx -s reload` returns while old workers finish: a connection may still meet one of them.
    assert.equal((await verifyServed(verify, first.fingerprint256, fast)).verified, true);
    const broken: TargetSpec = { ...spec, reloadCommand: ['/usr/sbin/nginx', '-s', 'reload', '-c', join(dir, 'no-such.conf')] };
    await rejectsWith(deployTo(broken, second, deps), 'deployFailed', /nginx reload for web: \/usr\/sbin\/nginx exited with status 1; its stderr ends with: .*no-such\.conf/);
    await rejectsWith(deployTo({ type: 'nginx', ...files, pidFile: join(dir, 'none.pid') }, second, deps), 'deployFailed', /cannot read the pid file .*none\.pid \(ENOENT\)/);
  });
});

describe('closed loop', () => {
  test('an endpoint nobody listens on is not verified, with the reason after bounded tries', async () => {
    const port = await freePort();
    const started = Date.now();
    const v = await verifyServed({ host: '127.0.0.1', port }, first.fingerprint256, { attempts: 3, delayMs: 50 });
    assert.equal(v.verified, false);
    assert.equal(v.attempts, 3);
    assert.match(v.detail, /does not serve the new certificate after 3 tries: connection refused by 127\.0\.0\.1:\d+: nothing listens on that port/);
    assert.ok(Date.now() - started < 5_000);
  });
});
