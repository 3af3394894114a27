// A managed certificate issued by the local issuer joins the CA's inventory like an ACME-issued
// one: `certainty cert list` shows it, `cert show` finds it by serial, and `cert revoke` puts it
// on the CRL the node serves.
import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testCli } from '../support/cli.ts';
import { certificateFacts, fetchCrl } from '../support/crl.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { waitFor } from '../support/wait.ts';
import { normalizeSerial } from '../support/x509.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

for (const dialect of dialects()) {
  describe(`local-issuer certificates in the CA's inventory (${dialect})`, { timeout: 120_000 }, () => {
    let node: TestNode;
    let env: Record<string, string>;

    const { cliOk } = testCli(() => env);

    before(async () => {
      const databaseUrl = await freshDatabaseUrl(dialect);
      node = await startNode({ databaseUrl, set: { 'policy.allowedDomains': 'inventory.test', 'lifecycle.checkPeriodMs': '1000' } });
      env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    });
    after(async () => {
      await node?.stop();
    });

    test('listed, shown and revoked onto the CRL like an ACME-issued certificate', async () => {
      await cliOk('issuer', 'add', 'own', '--kind', 'local');
      await cliOk('managed', 'add', 'internal', '--issuer', 'own', '--name', 'db.inventory.test', '--validity-days', '7');
      const m = await waitFor(async () => {
        const shown = JSON.parse(await cliOk('managed', 'show', 'internal', '--json')) as Json;
        return shown.currentRevision >= 1 ? shown : undefined;
      }, { what: 'the first revision', timeoutMs: 30_000, intervalMs: 500 });
      const serial = m.current.serial as string;
      const listed = JSON.parse(await cliOk('cert', 'list', '--json')) as Json[];
      const row = listed.find((c) => c.serial === serial);
      assert.ok(row, `cert list shows ${serial}`);
      assert.deepEqual(row.names, ['db.inventory.test']);
      assert.match(await cliOk('cert', 'show', serial), /db\.inventory\.test/);

      await cliOk('cert', 'revoke', serial, '--reason', 'keyCompromise');
      const { crlUrl } = await certificateFacts(m.current.certPem);
      const crl = await waitFor(async () => {
        const c = await fetchCrl(crlUrl.replace(/^https?:\/\/[^/]+/, node.baseUrl), node.rootPem);
        return c.serials.has(normalizeSerial(serial)) ? c : undefined;
      }, { what: 'the serial on the CRL', timeoutMs: 20_000, intervalMs: 500 });
      assert.ok(crl.serials.has(normalizeSerial(serial)));
    });
  });
}
