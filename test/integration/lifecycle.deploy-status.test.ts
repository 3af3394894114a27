// A deploy's outcome outlives its job: a managed certificate from the local issuer is deployed to
// files that a TLS server on loopback serves (read from disk at each handshake) and verified
// there; the done job is then pruned as the daily housekeeping prunes it, and `managed show`
// still says the target was deployed and verified, and when.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../src/config/database.ts';
import { loadConfig } from '../../src/config/load.ts';
import { SqlJobStore } from '../../src/store/job-store.ts';
import { testCli } from '../support/cli.ts';
import { freePort } from '../support/free-port.ts';
import { dialects, freshDatabaseUrl, startNode, type TestNode } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Serves whatever the files hold at each handshake, as a server reloading its certificate would. */
async function serveFiles(fullchain: string, key: string): Promise<{ server: TlsServer; port: number }> {
  const server = createTlsServer({
    SNICallback: (_name, cb) => {
      try {
        cb(null, createSecureContext({ cert: readFileSync(fullchain), key: readFileSync(key) }));
      } catch (err) {
        cb(err as Error);
      }
    },
  }, (socket) => socket.end());
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { server, port };
}

for (const dialect of dialects()) {
  describe(`deploy status after the job is pruned (${dialect})`, { timeout: 300_000 }, () => {
    let dir: string;
    let node: TestNode | undefined;
    let tls: { server: TlsServer; port: number } | undefined;
    let env: Record<string, string>;
    const { cliOk } = testCli(() => env);
    const show = async (): Promise<Json> => JSON.parse(await cliOk('managed', 'show', 'web', '--json'));
    const deployJobs = async (): Promise<number> => {
      const db = openDb(loadConfig({ env }));
      try {
        const [row] = await db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'lifecycle-deploy' AND fair_key = 'managed:web'");
        return Number(row?.n);
      } finally {
        await db.close();
      }
    };

    before(async () => {
      dir = await makeTempDir('lifecycle-deploy-status');
      const databaseUrl = await freshDatabaseUrl(dialect);
      node = await startNode({ databaseUrl, set: { 'tls.enabled': 'false', 'policy.allowedDomains': 'status.test', 'lifecycle.checkPeriodMs': '1000' } });
      env = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
    });
    after(async () => {
      await new Promise<void>((r) => (tls ? tls.server.close(() => r()) : r()));
      await node?.stop();
      if (dir) await removeDir(dir);
    });

    test('a verified deploy still shows as verified, with its time, once its job is pruned', async () => {
      const fullchain = join(dir, 'fullchain.pem');
      const key = join(dir, 'key.pem');
      tls = await serveFiles(fullchain, key);
      const verify = { host: '127.0.0.1', port: tls.port, servername: 'www.status.test', attempts: 20, delayMs: 500 };
      writeFileSync(join(dir, 'targets.json'), JSON.stringify([{ type: 'file', fullchainPath: fullchain, keyPath: key, verify }]));
      await cliOk('issuer', 'add', 'own', '--kind', 'local');
      await cliOk('managed', 'add', 'web', '--issuer', 'own', '--name', 'www.status.test', '--validity-days', '30', '--targets', join(dir, 'targets.json'));

      const done = await waitFor(async () => {
        const m = await show();
        return m.deploys[0]?.state === 'verified' ? m : undefined;
      }, { what: 'the verified deploy', timeoutMs: 120_000, intervalMs: 500 });
      const before = done.deploys[0];
      assert.deepEqual([before.revision, before.detail], [1, 'the endpoint serves this revision']);

      // What the daily housekeeping does to a job done a day ago (src/duties.ts), without the day.
      await new Promise((r) => setTimeout(r, 5));
      const db = openDb(loadConfig({ env }));
      try {
        assert.ok((await new SqlJobStore(db).pruneDone(0)) >= 1);
      } finally {
        await db.close();
      }
      assert.equal(await deployJobs(), 0, 'the deploy job is gone');

      const afterPrune = (await show()).deploys[0];
      assert.deepEqual(afterPrune, before, 'the same outcome, at the same time');
      assert.match(await cliOk('managed', 'show', 'web'), new RegExp(`^target 0 +file: verified \\(revision 1\\) at ${new Date(before.at).toISOString()}; the endpoint serves this revision$`, 'm'));
    });
  });
}
