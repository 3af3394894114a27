// The secrets store as operators and deploy scripts use it, against a real node: the CLI (values
// with shell metacharacters round-tripping through an env file), the admin API with curl in the
// seed's flow (scripts/examples/secrets-cluster.sh: generate the cluster's passwords, resolve them
// with a scoped read-only token, a token for another prefix refused), "who revealed X" with
// `audit list`, scheduled rotation with a signed webhook, backup → restore with destroyed versions
// staying destroyed, and `kek rotate` re-wrapping every version's data key.
import * as assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AcmeTransport } from '../../src/acme-client/client.ts';
import { adminRequest } from '../support/admin-api.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { certaintyAt, emptyTarget, type Target } from '../support/restore-target.ts';
import { runUnchecked } from '../support/run.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

const SCRIPT = join(REPO_ROOT, 'scripts', 'examples', 'secrets-cluster.sh');
/** Everything a careless shell, conninfo or config parser trips over. */
const TRICKY = 'p$HOME `id` $(id) "dq" \'sq\' back\\slash sp ace;|&<>*?!#~\nsecond line\n';

interface Hook { body: string; signature: string }

for (const dialect of dialects()) {
  describe(`secrets from the CLI and with curl (${dialect})`, { timeout: 300_000 }, () => {
    let node: TestNode;
    let source: Target;
    let work: string;
    let hookServer: Server;
    const hooks: Hook[] = [];
    const hookKey = randomBytes(24).toString('hex');

    const cli = (...args: string[]) => certaintyAt(source, args);
    const cliJson = async (...args: string[]): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = await cli(...args, '--json');
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const flow = (token: string, ...args: string[]) => runUnchecked('bash', [SCRIPT, ...args], {
      env: { CERTAINTY_URL: node.baseUrl, CERTAINTY_TOKEN: token, CERTAINTY_CA: join(node.dataDir, 'root.pem') }, timeoutMs: 60_000,
    });
    /** Sources an env file the way deploy scripts do and prints the variables' values, NUL-separated. */
    const sourced = async (file: string, ...names: string[]) => {
      const r = await runUnchecked('bash', ['-c', `set -eu; set -a; . "$1"; shift; for n in "$@"; do printf '%s\\0' "\${!n}"; done`, 'sh', file, ...names]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\0').slice(0, -1);
    };

    before(async () => {
      work = await makeTempDir('secrets-cli');
      hookServer = createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => void (body += d.toString()));
        req.on('end', () => {
          hooks.push({ body, signature: String(req.headers['x-certainty-signature']) });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
      const port = (hookServer.address() as { port: number }).port;
      writeFileSync(join(work, 'hook.key'), `${hookKey}\n`, { mode: 0o600 });
      const databaseUrl = await freshDatabaseUrl(dialect);
      node = await startNode({
        databaseUrl, dataDir: join(work, 'data'),
        set: { 'cluster.housekeepingPeriodMs': '1000', 'kv.webhookUrl': `http://127.0.0.1:${port}/hook`, 'kv.webhookKeyFile': join(work, 'hook.key') },
      });
      source = { dataDir: node.dataDir, databaseUrl };
    });
    after(async () => {
      await node?.stop();
      await new Promise((r) => hookServer?.close(r));
      if (work !== undefined) await removeDir(work);
    });

    test('values with shell metacharacters round-trip: raw, JSON, and an env file sourced by a shell', async () => {
      const put = await runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'secret', 'put', 'app/tricky', 'value=-', 'user=app'], {
        env: { CERTAINTY_DATA_DIR: source.dataDir, CERTAINTY_DATABASE_URL: source.databaseUrl, CERTAINTY_LOG_LEVEL: 'silent' }, input: TRICKY,
      });
      assert.equal(put.code, 0, put.stderr);
      const raw = await cli('secret', 'get', 'app/tricky', '--field', 'value');
      assert.equal(raw.code, 0, raw.stderr);
      assert.equal(raw.stdout, TRICKY);
      assert.equal((await cliJson('secret', 'get', 'app/tricky')).data.value, TRICKY);
      const env = await cli('secret', 'get', 'app/tricky', '--format', 'env', '--prefix', 'APP_');
      assert.equal(env.code, 0, env.stderr);
      writeFileSync(join(work, 'app.env'), env.stdout);
      assert.deepEqual(await sourced(join(work, 'app.env'), 'APP_value', 'APP_user'), [TRICKY, 'app']);
      const many = await cli('secret', 'get', 'app/tricky');
      assert.equal(many.code, 1);
      assert.match(many.stderr, /has the fields value, user: choose one with --field/);
      const history = await cliJson('secret', 'history', 'app/tricky');
      assert.equal(history.currentVersion, 1);
      assert.doesNotMatch(JSON.stringify(history), /dq|second line/);
    });

    test('the seed flow: generate the cluster passwords, resolve them with a scoped read-only token; another prefix is refused', async () => {
      const adminToken = (await cliJson('token', 'create', 'ops')).token as string;
      const init = await flow(adminToken, 'init', 'cluster/');
      assert.equal(init.code, 0, init.stderr);
      const deploy = await cliJson('secret', 'token', 'create', 'deploy', '--prefix', 'cluster/', '--ttl', '1h');
      assert.equal(deploy.role, 'machine');
      assert.ok(Date.parse(deploy.expiresAt) <= Date.now() + 3_600_000);
      const out = join(work, 'cluster.env');
      const resolve = await flow(deploy.token, 'resolve', 'cluster/', out);
      assert.equal(resolve.code, 0, resolve.stderr);
      const values = await sourced(out, 'POSTGRES_password', 'REPLICATION_password', 'REPMGR_password');
      for (const [i, name] of ['postgres', 'replication', 'repmgr'].entries()) {
        const stored = await cli('secret', 'get', `cluster/${name}`, '--field', 'password');
        assert.equal(stored.code, 0, stored.stderr);
        assert.equal(values[i], stored.stdout);
        assert.match(stored.stdout, /^[A-Za-z0-9\-_.,:+@%]{32}$/);
      }
      // Read-only: the deploy token cannot rotate; a token for another prefix reads nothing here.
      const write = await flow(deploy.token, 'init', 'cluster/');
      assert.notEqual(write.code, 0);
      assert.match(write.stdout + write.stderr, /may not update cluster\/postgres/);
      const other = await cliJson('secret', 'token', 'create', 'other', '--prefix', 'other/', '--ttl', '1h');
      const refused = await flow(other.token, 'resolve', 'cluster/', join(work, 'other.env'));
      assert.notEqual(refused.code, 0);
      assert.match(refused.stdout + refused.stderr, /may not read cluster\/postgres/);
      // Who revealed cluster/postgres: one audit query.
      const who = await cliJson('audit', 'list', '--action', 'secret.revealed', '--object', 'secret:cluster/postgres');
      const actors = who.map((r: { actor: string; outcome: string }) => `${r.actor} ${r.outcome}`);
      assert.ok(actors.includes(`token:${deploy.id} success`), actors.join(', '));
      assert.ok(actors.includes(`token:${other.id} failure`), actors.join(', '));
    });

    test('admin API: JSON in and out, check-and-set conflicts, metadata without values, policies for admins only, bad input refused', async () => {
      const t = new AcmeTransport({ directoryUrl: node.directoryUrl, ca: node.rootPem });
      const adminToken = (await cliJson('token', 'create', 'api')).token as string;
      const api = (method: string, path: string, token: string, body?: unknown) =>
        adminRequest(t, method, `${node.baseUrl}${path}`, body === undefined ? undefined : JSON.stringify(body), { authorization: `Bearer ${token}`, 'content-type': 'application/json' });
      try {
        assert.equal((await api('PUT', '/admin/secrets/data/api/db', adminToken, { data: { password: 'p1' }, cas: 0 })).status, 200);
        const stale = await api('PUT', '/admin/secrets/data/api/db', adminToken, { data: { password: 'p2' }, cas: 0 });
        assert.equal(stale.status, 409, stale.text);
        assert.match(stale.body.detail, /cas 0 does not match the current version of api\/db \(1\)/);
        assert.equal((await api('PATCH', '/admin/secrets/data/api/db', adminToken, { data: { user: 'app' }, cas: 1 })).body.version, 2);
        const read = await api('GET', '/admin/secrets/data/api/db', adminToken);
        assert.deepEqual(read.body.data, { password: 'p1', user: 'app' });
        assert.equal(read.headers['cache-control'], 'no-store');
        const meta = await api('GET', '/admin/secrets/metadata/api/db', adminToken);
        assert.equal(meta.body.versions.length, 2);
        assert.doesNotMatch(meta.text, /p1/);
        const bad = await api('PUT', '/admin/secrets/data/api/..%2Fx', adminToken, { data: { a: 'b' } });
        assert.equal(bad.status, 400);
        assert.match(bad.body.detail, /"\.\." segment/);
        const badPolicy = await api('PUT', '/admin/secrets/policies/p', adminToken, { rules: [{ path: 'api/**', capabilities: ['read', 'sudo'] }] });
        assert.equal(badPolicy.status, 400);
        assert.match(badPolicy.body.detail, /unknown capability "sudo"/);
        const writer = await cliJson('secret', 'token', 'create', 'writer', '--prefix', 'api/', '--ttl', '1h', '--grant', 'read,update');
        assert.equal((await api('PUT', '/admin/secrets/data/api/db', writer.token, { data: { password: 'p3' } })).body.version, 3);
        assert.equal((await api('PUT', '/admin/secrets/data/api/new', writer.token, { data: { a: 'b' } })).status, 403, 'update does not create');
        assert.equal((await api('GET', '/admin/secrets/policies', writer.token)).status, 403);
        assert.equal((await api('DELETE', '/admin/secrets/metadata/api/db', writer.token)).status, 403);
      } finally {
        t.close();
      }
    });

    test('scheduled rotation writes a new version and notifies the webhook, signed', async () => {
      hooks.length = 0;
      const gen = await cliJson('secret', 'generate', 'cluster/rotating', '--field', 'password', '--rotate-every', '2s');
      assert.equal(gen.version, 1);
      const hook = await waitFor(async () => hooks.find((h) => JSON.parse(h.body).path === 'cluster/rotating'), { what: 'the rotation webhook', timeoutMs: 30_000 });
      const body = JSON.parse(hook.body);
      assert.equal(body.event, 'rotated');
      assert.ok(body.version >= 2);
      assert.equal(body.password, undefined);
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hook.signature);
      assert.ok(m, hook.signature);
      assert.equal(m[2], createHmac('sha256', Buffer.from(hookKey)).update(`${m[1]}.${hook.body}`).digest('hex'));
      assert.ok((await cliJson('secret', 'history', 'cluster/rotating')).currentVersion >= 2);
      assert.equal((await cliJson('secret', 'meta', 'cluster/rotating', '--rotate-every', '0')).nextRotationAt, null);
    });

    test('backup → restore: a destroyed version stays destroyed; kek rotate re-wraps every version', async () => {
      for (const v of ['first-findme', 'second']) assert.equal((await cli('secret', 'put', 'dr/x', `v=${v}`)).code, 0);
      assert.equal((await cli('secret', 'destroy', 'dr/x', '--versions', '1')).code, 0);
      const archive = join(work, 'backup.certainty');
      const backup = await cli('backup', '--out', archive);
      assert.equal(backup.code, 0, backup.stderr);
      const target = await emptyTarget(work, 'restored', dialect, node.dataDir);
      const restore = await certaintyAt(target, ['restore', '--from', archive]);
      assert.equal(restore.code, 0, restore.stderr);
      const gone = await certaintyAt(target, ['secret', 'get', 'dr/x', '--at', '1']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /Version 1 of dr\/x was destroyed/);
      assert.equal((await certaintyAt(target, ['secret', 'get', 'dr/x'])).stdout, 'second');
      // Every version's data key moves to the new KEK; values still open with it alone.
      const newKek = join(work, 'new.key');
      writeFileSync(newKek, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      const env = { CERTAINTY_KEK_FILE: newKek, CERTAINTY_KEK_PREVIOUS_FILE: join(node.dataDir, 'kek.key') };
      const rotate = await certaintyAt(source, ['kek', 'rotate', '--new-file', newKek, '--json'], env);
      assert.equal(rotate.code, 0, rotate.stderr);
      assert.ok(JSON.parse(rotate.stdout).totals.some((t: { table: string; rewrapped: number }) => t.table === 'secret_versions' && t.rewrapped > 0), rotate.stdout);
      const status = JSON.parse((await certaintyAt(source, ['kek', 'status', '--json'], { CERTAINTY_KEK_FILE: newKek })).stdout);
      assert.deepEqual(Object.keys(status.sealedByKek), [status.current]);
      const after = await certaintyAt(source, ['secret', 'get', 'app/tricky', '--field', 'value'], { CERTAINTY_KEK_FILE: newKek });
      assert.equal(after.code, 0, after.stderr);
      assert.equal(after.stdout, TRICKY);
    });
  });
}
