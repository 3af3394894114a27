// Every revocation reaches the CRL, on every dialect: N revocations at once
// through ACME, then N `certainty cert revoke` processes at once, each end with every revoked serial
// on the CRL that openssl reads, CRL numbers only going up and one number naming one CRL; and a
// revocation committed by a process that never updated the CRL afterwards (as if it crashed right
// after the commit) is published by the job queued in its transaction.
import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AcmeClient } from '../../src/acme-client/client.ts';
import type { Http01Responder } from '../../src/acme-client/responder.ts';
import { AdminService } from '../../src/admin/service.ts';
import { SqlAdminStore } from '../../src/store/admin-store.ts';
import { SqlRevocationStore } from '../../src/store/crl-store.ts';
import { openDb } from '../../src/config/database.ts';
import { localhostDns, startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { REPO_ROOT } from '../support/certainty.ts';
import { certificateFacts, fetchCrl, readCrl, type CrlContents } from '../support/crl.ts';
import { dialects, type TestNode } from '../support/node.ts';
import { runUnchecked } from '../support/run.ts';
import { waitFor } from '../support/wait.ts';

const N = 8;

for (const dialect of dialects()) {
  describe(`revoked certificates are on the CRL (${dialect})`, { timeout: 300_000 }, () => {
    let acme: AcmeNode;
    let node: TestNode;
    let responder: Http01Responder;
    let client: AcmeClient;
    let cliEnv: Record<string, string>;
    let crlUrl = '';
    let lastNumber = -1n;

    before(async () => {
      acme = await startAcmeNode(dialect, {
        dns: localhostDns,
        // The scheduled CRL duty stays out of the way: what is tested is the revocation path itself.
        set: { 'cluster.crlPeriodMs': '86400000' },
      });
      ({ node, responder } = acme);
      const { databaseUrl } = acme;
      cliEnv = { CERTAINTY_DATA_DIR: node.dataDir, ...(databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: databaseUrl }) };
      client = await acme.newClient();
    });
    after(() => acme?.stop());

    /** `serial` as openssl lists it on a CRL, `hex` as the certificate carries it (for the CLI). */
    async function issue(label: string, n: number): Promise<Array<{ der: Uint8Array; serial: string; hex: string }>> {
      const issued = await Promise.all(Array.from({ length: n }, (_, i) =>
        client.issue({ identifiers: [`${label}${i}.crl.test`], challengeType: 'http-01', solver: responder })));
      return Promise.all(issued.map(async ({ certificatePem }) => {
        const facts = await certificateFacts(certificatePem);
        crlUrl = facts.crlUrl;
        const x = new X509Certificate(certificatePem);
        return { der: x.raw, serial: facts.serial, hex: x.serialNumber };
      }));
    }

    /** Fetches the CRL over and over while `work` runs; bounded in count. */
    async function sampleWhile(work: Promise<unknown>): Promise<CrlContents[]> {
      const seen: CrlContents[] = [];
      let done = false;
      const finished = work.finally(() => (done = true));
      while (!done && seen.length < 200) seen.push(await fetchCrl(crlUrl, node.rootPem));
      await finished;
      return seen;
    }

    /** Numbers never go down, one number always names the same list, and the last CRL has every serial. */
    async function assertPublished(samples: CrlContents[], serials: string[]): Promise<void> {
      const final = await fetchCrl(crlUrl, node.rootPem);
      const byNumber = new Map<bigint, string>();
      for (const crl of [...samples, final]) {
        assert.ok(crl.number >= lastNumber, `CRL number ${crl.number} was served after ${lastNumber}`);
        const list = [...crl.serials].sort().join(',');
        assert.equal(byNumber.get(crl.number) ?? list, list, `CRL number ${crl.number} was served with two different lists`);
        byNumber.set(crl.number, list);
        lastNumber = crl.number;
      }
      const missing = serials.filter((s) => !final.serials.has(s));
      assert.deepEqual(missing, [], `CRL #${final.number} misses ${missing.length} of ${serials.length} revoked certificates`);
    }

    test(`${N} concurrent ACME revocations are all on the CRL`, async () => {
      const certs = await issue('acme', N);
      const before = await fetchCrl(crlUrl, node.rootPem);
      lastNumber = before.number;
      const samples = await sampleWhile(Promise.all(certs.map((c, i) => client.revoke(c.der, i % 2 === 0 ? 1 : 4))));
      await assertPublished(samples, certs.map((c) => c.serial));
      assert.ok(lastNumber > before.number, 'the revocations produced a newer CRL');
    });

    test(`${N} concurrent "certainty cert revoke" processes are all on the CRL`, async () => {
      const certs = await issue('cli', N);
      const start = lastNumber;
      const cli = (serial: string) => runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'cert', 'revoke', serial], { env: cliEnv, timeoutMs: 120_000 });
      const samples = await sampleWhile(Promise.all(certs.map(async (c) => {
        const r = await cli(c.hex);
        assert.equal(r.code, 0, r.stderr);
      })));
      await assertPublished(samples, certs.map((c) => c.serial));
      assert.ok(lastNumber > start, 'the revocations produced a newer CRL');
    });

    test('a revocation committed without a CRL update afterwards is published by its queued job', async () => {
      const [cert] = await issue('crash', 1);
      if (!cert) throw new Error('nothing issued');
      const db = openDb(node.config);
      try {
        // The revocation path as the CLI runs it, with a CA that "dies" right after the commit.
        const crashed = { updateCrl: () => Promise.reject(new Error('process died after commit')) };
        const service = new AdminService({ store: new SqlAdminStore(db), revocations: new SqlRevocationStore(db), now: Date.now, actor: 'cli:test' });
        const { crlError } = await service.revokeCertificate(crashed, cert.hex, 1);
        assert.match(crlError?.message ?? '', /process died/);
        // Read the stored CRL straight from the database: a GET /crl would rebuild it by itself.
        const stored = await waitFor(async () => {
          const rows = await db.query<{ der: Buffer }>('SELECT der FROM crls');
          const crl = rows[0] && (await readCrl(Buffer.from(rows[0].der)));
          return crl?.serials.has(cert.serial) ? crl : undefined;
        }, { what: `serial ${cert.serial} on the stored CRL`, timeoutMs: 20_000, intervalMs: 200 });
        assert.ok(stored.number > lastNumber);
        const pending = await db.query<{ status: string }>(`SELECT status FROM jobs WHERE kind = 'crl' AND status <> 'done'`);
        assert.deepEqual(pending, [], 'every crl job ran to completion');
      } finally {
        await db.close();
      }
    });
  });
}
