// `certainty dr-test` against real backups: a fresh one passes every step and leaves nothing
// behind (no scratch directory, no scratch database); an altered or damaged one fails with exit
// code 1 at the archive step.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { AcmeClient, AcmeTransport } from '../../src/acme-client/client.ts';
import { readMembers, replaceMember, writeMembers } from '../support/archive.ts';
import { REPO_ROOT, startCertainty, type CertaintyServer } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { startHttp01Responder, type Http01Responder } from '../../src/acme-client/responder.ts';
import { runUnchecked, type RunResult } from '../support/run.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { startTestDnsServer, type TestDnsServer } from '../../src/lab/dns-server.ts';

const BIN = join(REPO_ROOT, 'bin', 'certainty.js');

const scratchDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('certainty-drtest-')).sort();

async function scratchDatabases(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    return (await sql`SELECT datname FROM pg_database WHERE datname LIKE 'certainty_drtest_%'`).map((r) => String(r.datname));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

for (const dialect of dialects()) {
  describe(`dr-test (${dialect})`, { timeout: 300_000 }, () => {
    let dns: TestDnsServer;
    let responder: Http01Responder;
    let server: CertaintyServer;
    let databaseUrl: string | undefined;
    let work: string;
    let archive: string;

    const cli = (args: string[]): Promise<RunResult> =>
      runUnchecked(process.execPath, [BIN, ...args], {
        cwd: REPO_ROOT, timeoutMs: 180_000,
        env: { CERTAINTY_DATABASE_URL: databaseUrl, CERTAINTY_DATA_DIR: server.dataDir, CERTAINTY_LOG_LEVEL: 'silent' },
      });

    before(async () => {
      dns = await startTestDnsServer({ 'dr.example.test': { A: ['127.0.0.1'] } });
      responder = await startHttp01Responder();
      databaseUrl = await freshDatabaseUrl(dialect);
      server = await startCertainty({ dnsAddress: dns.address, http01Port: responder.port, tlsAlpn01Port: responder.port, ...(databaseUrl === undefined ? {} : { databaseUrl }) });
      const transport = new AcmeTransport({ directoryUrl: server.directoryUrl, ca: readFileSync(server.rootPemPath, 'utf8') });
      const client = new AcmeClient(transport, undefined, { minIntervalMs: 20, maxRetryAfterMs: 200 });
      await client.createAccount();
      await client.issue({ identifiers: ['dr.example.test'], challengeType: 'http-01', solver: responder });
      transport.close();
      work = await makeTempDir('drtest-archives');
      archive = join(work, 'fresh.certainty');
      const backup = await cli(['backup', '--out', archive]);
      assert.equal(backup.code, 0, backup.stderr);
    });
    after(async () => {
      await server?.dispose();
      await responder?.close();
      await dns?.close();
      if (work !== undefined) await removeDir(work);
    });

    test('passes on a fresh backup, reports each step with its time, and removes what it started', async () => {
      const dirsBefore = scratchDirs();
      const r = await cli(['dr-test', '--from', archive, '--json']);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(r.stdout);
      assert.equal(report.ok, true);
      assert.deepEqual(report.steps.map((s: { name: string }) => s.name), ['archive', 'restore', 'serve', 'health', 'issue', 'chain', 'audit', 'cleanup']);
      for (const step of report.steps) {
        assert.equal(step.status, 'pass', `${step.name}: ${step.detail}`);
        assert.equal(typeof step.ms, 'number');
      }
      process.stderr.write(`# ${dialect}: ${report.steps.map((s: { name: string; ms: number }) => `${s.name} ${s.ms} ms`).join(', ')}; total ${report.totalMs} ms\n`);
      assert.deepEqual(scratchDirs(), dirsBefore);
      if (databaseUrl !== undefined) assert.deepEqual(await scratchDatabases(databaseUrl), []);
      const human = await cli(['dr-test', '--from', archive]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /^PASS +issue /m);
      assert.match(human.stdout, /^PASS in \d+ ms$/m);
    });

    test('refuses a scratch database that is not empty and leaves it alone', { skip: dialect === 'sqlite' ? 'PostgreSQL only' : false }, async () => {
      const count = async (): Promise<number> => JSON.parse((await cli(['cert', 'list', '--json'])).stdout).length;
      const before = await count();
      const r = await cli(['dr-test', '--from', archive, '--json', '--scratch-database-url', databaseUrl as string]);
      assert.equal(r.code, 1);
      const restore = JSON.parse(r.stdout).steps.find((s: { name: string }) => s.name === 'restore');
      assert.equal(restore.status, 'fail');
      assert.match(restore.detail, /is not empty/);
      assert.equal(await count(), before);
      assert.ok(before > 0);
    });

    test('refuses an archive altered after it was written at the archive step, before restoring anything', async () => {
      const dirsBefore = scratchDirs();
      const members = await readMembers(archive);
      const manifest = JSON.parse((members[0]?.data as Buffer).toString('utf8'));
      manifest.tables.admin_tokens += 1;
      const altered = join(work, 'altered.certainty');
      writeMembers(altered, replaceMember(members, 'manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)));
      const r = await cli(['dr-test', '--from', altered, '--json']);
      assert.equal(r.code, 1);
      const steps = JSON.parse(r.stdout).steps as Array<{ name: string; status: string; detail: string }>;
      assert.equal(steps[0]?.status, 'fail');
      assert.match(steps[0]?.detail ?? '', /is not authentic: its manifest does not match its MAC under KEK [0-9a-f]{16}, which is configured/);
      assert.equal(steps.find((s) => s.name === 'restore')?.status, 'skipped');
      assert.deepEqual(scratchDirs(), dirsBefore);
      if (databaseUrl !== undefined) assert.deepEqual(await scratchDatabases(databaseUrl), []);
    });

    test('fails with a non-zero exit on a damaged backup', async () => {
      const damaged = join(work, 'damaged.certainty');
      const bytes = Buffer.from(readFileSync(archive));
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
      writeFileSync(damaged, bytes);
      const r = await cli(['dr-test', '--from', damaged, '--json']);
      assert.equal(r.code, 1);
      const report = JSON.parse(r.stdout);
      assert.equal(report.ok, false);
      assert.equal(report.steps[0].status, 'fail');
      assert.match(report.steps[0].detail, /damaged/);
      assert.equal(report.steps.find((s: { name: string }) => s.name === 'issue').status, 'skipped');
      assert.equal(report.steps.at(-1).name, 'cleanup');
      assert.equal(report.steps.at(-1).status, 'pass');
      assert.match(r.stderr, /^certainty: the DR test failed at step "archive": /m);
    });
  });
}
