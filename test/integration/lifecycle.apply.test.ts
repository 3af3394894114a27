// `certainty apply -f FILE` and `POST /admin/apply`: the complete example file from
// docs/lifecycle.md (extracted here, so the docs stay true) applied with the CLI, a dry run that
// changes nothing, a second apply with no changes, one edited field as one update (a managed
// certificate's, a probe's), a mistake that names its place in the file and changes nothing, and
// --prune (probes included). Through the admin API: secret header values stored wrapped, never
// shown to a viewer, never in the database in the clear; a probe declared with them. A changed
// target gets the current certificate at once.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { openDb } from '../../src/config/database.ts';
import { httpRequest } from '../../src/http-client.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { testCli } from '../support/cli.ts';
import { freePort } from '../support/free-port.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The first yaml block of the "Apply a file" section, its secret files moved into `dir`. */
function docsExample(dir: string): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'lifecycle.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Apply a file'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined, 'docs/lifecycle.md has an example apply file');
  return block.replaceAll('/etc/certainty/', `${dir}/`);
}

const SECRET_HEADER = 'Bearer api-s3cret-value';
const FILE_TOKEN = 'file-token-9f3e';
const ENV_TOKEN = 'env-token-71aa';

for (const dialect of dialects()) {
  describe(`certainty apply and POST /admin/apply (${dialect})`, { timeout: 900_000 }, () => {
    let node: TestNode | undefined;
    let dir: string;
    let dataDir: string;
    let databaseUrl: string | undefined;
    let env: Record<string, string>;

    const { cli, cliOk } = testCli(() => env, 120_000);
    /** Reads the database directly (a CLI process costs seconds on a busy machine). */
    const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
      const db = openDb(loadConfig({ env }));
      try {
        return await db.query<T>(sql, params);
      } finally {
        await db.close();
      }
    };
    const TABLES = { issuer: 'lifecycle_issuers', managed: 'managed_certificates', probe: 'probe_endpoints' } as const;
    const listNames = async (what: keyof typeof TABLES): Promise<string[]> =>
      (await query<{ name: string }>(`SELECT name FROM ${TABLES[what]} ORDER BY name`)).map((r) => r.name);
    const renewWhenLeft = async (name: string): Promise<number> =>
      (JSON.parse((await query<{ spec: string }>('SELECT spec FROM managed_certificates WHERE name = ?', [name]))[0]?.spec ?? '{}') as Json).policy.renewWhenLeft;
    const api = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; text: string; json: Json }> => {
      const res = await httpRequest(`${(node as TestNode).baseUrl}${path}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }), timeoutMs: 10_000,
      });
      const text = res.body.toString('utf8');
      return { status: res.status, text, json: text === '' ? undefined : JSON.parse(text) };
    };

    before(async () => {
      dir = await makeTempDir('lifecycle-apply');
      dataDir = join(dir, 'data');
      databaseUrl = await freshDatabaseUrl(dialect);
      writeFileSync(join(dir, 'corp-eab.hmac'), 'c2VjcmV0LWVhYi1obWFjLWtleS0xMjM0NTY\n', { mode: 0o600 });
      writeFileSync(join(dir, 'inventory-token'), `${FILE_TOKEN}\n`, { mode: 0o600 });
      env = { CERTAINTY_DATA_DIR: dataDir, DB_RELOAD_TOKEN: ENV_TOKEN, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
      node = await startNode({ databaseUrl, dataDir, set: { listen: `127.0.0.1:${await freePort()}`, 'tls.enabled': 'false' } });
      writeFileSync(join(dir, 'corp-root.pem'), node.rootPem);
    });
    after(async () => {
      await node?.stop();
      await removeDir(dir);
    });

    test('through the API: a viewer sees header names only, the database holds no plaintext, files and env are refused', async () => {
      const admin = JSON.parse(await cliOk('token', 'create', 'applier', '--role', 'admin', '--json')) as Json;
      const viewer = JSON.parse(await cliOk('token', 'create', 'looker', '--role', 'viewer', '--json')) as Json;
      const hook = `http://127.0.0.1:${await freePort()}/hook`;
      const doc = {
        issuers: [{ name: 'api-own', kind: 'local' }],
        managed: [{ name: 'api-made', issuer: 'api-own', names: ['api.apply.test'], targets: [{ type: 'webhook', url: hook, secretRef: 'hooks/api', headers: { Authorization: SECRET_HEADER } }] }],
        // A closed port on loopback: its probe finds nothing, harmlessly.
        probes: [{ name: 'api-probe', host: '127.0.0.1', port: await freePort(), servername: 'api.apply.test', expectedManaged: 'api-made', interval: '1h' }],
      };
      const dry = await api('POST', '/admin/apply?dryRun=true', admin.token, doc);
      assert.equal(dry.status, 200, dry.text);
      assert.deepEqual(dry.json.lines.slice(0, 3), ['+ issuer api-own (new)', '+ managed api-made (new)', '+ probe api-probe (new)']);
      assert.deepEqual((await api('GET', '/admin/managed', admin.token)).json, [], 'a dry run changes nothing');
      assert.equal((await api('POST', '/admin/apply', viewer.token, doc)).status, 403, 'applying needs lifecycle.configure');
      const applied = await api('POST', '/admin/apply', admin.token, doc);
      assert.equal(applied.json.summary, '3 created, 0 updated, 0 removed');
      assert.equal((await api('GET', '/admin/probes/api-probe', viewer.token)).json.expectedManaged, 'api-made');
      const seen = await api('GET', '/admin/managed/api-made', viewer.token);
      assert.equal(seen.status, 200);
      assert.deepEqual(seen.json.spec.targets[0].headers, { Authorization: '(secret)' });
      assert.ok(!seen.text.includes('s3cret') && !(await api('GET', '/admin/managed', viewer.token)).text.includes('s3cret'));
      const refused = await api('POST', '/admin/apply', admin.token, { issuers: [{ name: 'x', eab: { kid: 'k', hmacFile: '/etc/passwd' } }] });
      assert.equal(refused.status, 400);
      assert.match(refused.json.detail, /^issuers\[0\]\.eab\.hmacFile: the admin API does not read files/);

      const rows = await query<{ spec: string }>('SELECT spec FROM managed_certificates');
      assert.ok(rows.length === 1 && !rows.some((r) => r.spec.includes('s3cret')), 'the stored target holds no plaintext');
      const [wrapped] = await query<{ w: Buffer }>('SELECT secrets_wrapped AS w FROM managed_target_secrets WHERE name = ?', ['api-made']);
      assert.ok(wrapped !== undefined && !Buffer.from(wrapped.w).toString('latin1').includes('s3cret'), 'the value is stored, wrapped');
      const audit = await cliOk('audit', 'list', '--action', 'lifecycle.managed-added', '--object', 'managed:api-made', '--json');
      assert.ok(!audit.includes('s3cret'));
      assert.equal((JSON.parse(audit) as Json[])[0].actor, `token:${admin.id}`);
    });

    test('a changed target gets the current certificate at once, not at the next renewal', async () => {
      const file = join(dir, 'moved.yaml');
      const doc = (path: string): string => `issuers:\n  - name: own-moved\n    kind: local\nmanaged:\n  - name: moved\n    issuer: own-moved\n    names: [moved.apply.test]\n    targets:\n      - type: file\n        fullchainPath: ${join(dir, path)}.pem\n        keyPath: ${join(dir, path)}.key\n`;
      const deployed = async (path: string): Promise<string> => {
        try {
          return await waitFor(async () => (existsSync(join(dir, `${path}.pem`)) ? readFileSync(join(dir, `${path}.pem`), 'utf8') : undefined), { what: `${path}.pem`, timeoutMs: 60_000 });
        } catch (err) {
          throw new Error(`${(err as Error).message}; managed show: ${await cliOk('managed', 'show', 'moved')}`, { cause: err });
        }
      };
      writeFileSync(file, doc('before'));
      await cliOk('apply', '-f', file);
      const first = await deployed('before');
      writeFileSync(file, doc('after'));
      assert.match(await cliOk('apply', '-f', file), /^~ managed moved: targets\n/m);
      assert.equal(await deployed('after'), first, 'the same certificate, deployed to the new target');
      const [record] = JSON.parse(await cliOk('audit', 'list', '--action', 'lifecycle.managed-updated', '--object', 'managed:moved', '--json')) as Json[];
      assert.equal(record.details.redeploy, true);
      assert.equal(record.details.renewal, false);
      // Gone again, so the example file's --prune below removes only what it expects.
      await cliOk('managed', 'remove', 'moved');
      await cliOk('issuer', 'remove', 'own-moved');
    });

    test('the example file from the docs: dry run, apply, no changes, one update, a mistake, --prune', async () => {
      // The CLI works on the database alone; stopping the node keeps deploys to the example's hosts from running.
      await node?.stop();
      node = undefined;
      const file = join(dir, 'lifecycle.yaml');
      const example = docsExample(dir);
      writeFileSync(file, example);

      const dry = await cliOk('apply', '-f', file, '--dry-run');
      assert.deepEqual(dry.trim().split('\n'), [
        '+ issuer corp (new)', '+ issuer own (new)', '- issuer api-own (would be removed with --prune)',
        '+ managed www (new)', '+ managed internal (new)', '- managed api-made (would be removed with --prune)',
        '+ probe www (new)', '+ probe partner-api (new)', '- probe api-probe (would be removed with --prune)',
        '6 to create, 0 to update, 0 to remove (dry run: nothing changed)',
      ]);
      assert.deepEqual(await listNames('managed'), ['api-made'], 'a dry run changes nothing');
      assert.deepEqual(await listNames('probe'), ['api-probe']);

      assert.match(await cliOk('apply', '-f', file), /\n6 created, 0 updated, 0 removed\n$/);
      assert.deepEqual(await listNames('issuer'), ['api-own', 'corp', 'own']);
      const www = JSON.parse(await cliOk('probe', 'show', 'www', '--json')) as Json;
      assert.deepEqual([www.host, www.port, www.servername, www.expectedManaged, www.intervalMs, www.unreachableAfter], ['10.0.0.7', 443, 'www.corp.example', 'www', 900_000, 3]);
      assert.equal(www.trustPem, readFileSync(join(dir, 'corp-root.pem'), 'utf8'), 'the trust bundle read from trustFile');
      assert.equal(JSON.parse(await cliOk('probe', 'show', 'partner-api', '--json')).port, 443);
      const internal = JSON.parse(await cliOk('managed', 'show', 'internal', '--json')) as Json;
      assert.deepEqual(internal.spec.targets[0].env, { SERVICE: '(secret)', API_TOKEN: '(secret)' });
      assert.deepEqual(internal.spec.targets[1].headers, { Authorization: '(secret)', 'X-Team': { secret: 'teams/db#id' } });
      assert.ok(!JSON.stringify(internal).includes(FILE_TOKEN) && !JSON.stringify(internal).includes(ENV_TOKEN));
      assert.equal((await query<{ n: number | string }>('SELECT COUNT(*) AS n FROM lifecycle_issuers WHERE eab_hmac_wrapped IS NOT NULL'))[0]?.n?.toString(), '1');

      assert.match(await cliOk('apply', '-f', file), /\nno changes\n$/, 'applying twice changes nothing');
      // A new secret value is a change, though it is never printed.
      env.DB_RELOAD_TOKEN = 'rotated-token';
      const rotated = await cliOk('apply', '-f', file);
      assert.match(rotated, /~ managed internal: targets\n/);
      assert.ok(!rotated.includes('rotated-token'));

      writeFileSync(file, example.replace('renewWhenLeft: 0.5', 'renewWhenLeft: 0.25'));
      const edited = await cliOk('apply', '-f', file);
      assert.match(edited, /~ managed internal: renewWhenLeft\n/);
      assert.match(edited, /0 created, 1 updated, 0 removed\n$/);
      assert.equal(await renewWhenLeft('internal'), 0.25);

      const probeEdit = example.replace('renewWhenLeft: 0.5', 'renewWhenLeft: 0.25').replace('interval: 15m', 'interval: 5m').replace('unreachableAfter: 3', 'unreachableAfter: 4');
      writeFileSync(file, probeEdit);
      assert.match(await cliOk('apply', '-f', file, '--dry-run'), /^~ probe www: interval, unreachableAfter\n/m);
      assert.match(await cliOk('apply', '-f', file), /\n0 created, 1 updated, 0 removed\n$/);
      assert.deepEqual(((p) => [p.intervalMs, p.unreachableAfter])(JSON.parse(await cliOk('probe', 'show', 'www', '--json')) as Json), [300_000, 4]);
      writeFileSync(file, example.replace('renewWhenLeft: 0.5', 'renewWhenLeft: 0.25').replace('    host: api.partner.example\n', ''));
      const noHost = await cli('apply', '-f', file);
      assert.notEqual(noHost.code, 0);
      assert.match(noHost.stderr, /probes\[1\]\.host: required/);

      // A mistake anywhere: nothing is changed, not even the valid edit before it.
      const broken = example.replace('renewWhenLeft: 0.5', 'renewWhenLeft: 0.4').replace(/\n\s+crtPath: \/etc\/haproxy\/certs\/www\.pem/, '');
      writeFileSync(file, broken);
      const mistake = await cli('apply', '-f', file);
      assert.notEqual(mistake.code, 0);
      assert.match(mistake.stderr, /managed\[0\]\.targets\[2\]\.crtPath: required/);
      assert.equal(await renewWhenLeft('internal'), 0.25);

      writeFileSync(file, example);
      const pruned = await cliOk('apply', '-f', file, '--prune');
      assert.match(pruned, /- managed api-made \(removed\)\n/);
      assert.match(pruned, /- issuer api-own \(removed\)\n/);
      assert.match(pruned, /- probe api-probe \(removed\)\n/);
      assert.match(pruned, /0 created, 2 updated, 3 removed\n$/);
      assert.deepEqual(await listNames('managed'), ['internal', 'www']);
      assert.deepEqual(await listNames('probe'), ['partner-api', 'www']);
      assert.deepEqual(await listNames('issuer'), ['corp', 'own']);

      const records = JSON.parse(await cliOk('audit', 'list', '--action', 'lifecycle.managed-updated', '--object', 'managed:internal', '--json')) as Json[];
      assert.equal(records.length, 3, 'one record per change');
      assert.match(records[0].actor, /^cli:/);
      const probeRecords = JSON.parse(await cliOk('audit', 'list', '--action', 'lifecycle.probe-updated', '--object', 'probe:www', '--json')) as Json[];
      assert.equal(probeRecords.length, 2, 'the edit, and the return to the file');
      assert.deepEqual(probeRecords[0].details.changed, ['interval', 'unreachableAfter']);
    });
  });
}
