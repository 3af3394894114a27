// Partitioned CRLs through the server, on every dialect (`ca.crlShards` = 4): each leaf's CRL
// distribution point names its serial's shard; a revoked certificate is on its shard's CRL and on
// no other; each shard's CRL carries its issuing distribution point, and `openssl verify
// -crl_check` with it refuses the revoked leaf and accepts an unrevoked one of the same shard; a
// revocation's queued job rebuilds only its own shard's CRL.
import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AcmeClient } from '../../src/acme-client/client.ts';
import type { Http01Responder } from '../../src/acme-client/responder.ts';
import { AdminService } from '../../src/admin/service.ts';
import { shardForSerial } from '../../src/ca/crl-shards.ts';
import { openDb } from '../../src/config/database.ts';
import { httpRequest } from '../../src/http-client.ts';
import { SqlAdminStore } from '../../src/store/admin-store.ts';
import { SqlRevocationStore } from '../../src/store/crl-store.ts';
import { localhostDns, startAcmeNode, type AcmeNode } from '../support/acme-node.ts';
import { certificateFacts, fetchCrl, readCrl } from '../support/crl.ts';
import { dialects, type TestNode } from '../support/node.ts';
import { opensslScratch } from '../support/openssl.ts';
import { waitFor } from '../support/wait.ts';

const SHARDS = 4;

interface Leaf {
  pem: string;
  der: Uint8Array;
  /** As openssl lists it on a CRL. */
  serial: string;
  /** As the certificate carries it. */
  hex: string;
  shard: number;
  crlUrl: string;
}

for (const dialect of dialects()) {
  describe(`partitioned CRLs (${dialect})`, { timeout: 300_000 }, () => {
    let acme: AcmeNode;
    let node: TestNode;
    let responder: Http01Responder;
    let client: AcmeClient;
    let issuerId = '';
    const scratch = opensslScratch('crl-shards');

    before(async () => {
      // The scheduled CRL duty stays out of the way: what is tested is the revocation path itself.
      acme = await startAcmeNode(dialect, { dns: localhostDns, set: { 'ca.crlShards': String(SHARDS), 'cluster.crlPeriodMs': '86400000' } });
      ({ node, responder } = acme);
      client = await acme.newClient();
    });
    after(async () => {
      scratch.remove();
      await acme?.stop();
    });

    async function issue(label: string, n: number): Promise<Leaf[]> {
      const issued = await Promise.all(Array.from({ length: n }, (_, i) =>
        client.issue({ identifiers: [`${label}${i}.shards.test`], challengeType: 'http-01', solver: responder })));
      return Promise.all(issued.map(async ({ certificatePem }) => {
        const facts = await certificateFacts(certificatePem);
        const x = new X509Certificate(certificatePem);
        const m = /\/crl\/([A-Za-z0-9_-]+)\/([0-9]+)\.crl$/.exec(facts.crlUrl);
        assert.ok(m?.[1] !== undefined && m[2] !== undefined, `the CRL distribution point ${facts.crlUrl} names a shard`);
        issuerId = m[1];
        return { pem: x.toString(), der: x.raw, serial: facts.serial, hex: x.serialNumber, shard: Number(m[2]), crlUrl: facts.crlUrl };
      }));
    }

    const shardUrl = (shard: number): string => `${node.baseUrl}/crl/${issuerId}/${shard}.crl`;

    async function get(path: string): Promise<Buffer> {
      const res = await httpRequest(`${node.baseUrl}${path}`, { ca: node.rootPem });
      assert.equal(res.status, 200, `GET ${path} answered ${res.status}`);
      return res.body;
    }

    test('a revoked certificate is on its shard\'s CRL and on no other; openssl applies the shard CRL by its distribution point', async () => {
      const leaves = await issue('acme', 8);
      for (const leaf of leaves) {
        assert.equal(leaf.shard, shardForSerial(leaf.hex.toLowerCase(), SHARDS), 'the shard comes from the serial');
        assert.equal(leaf.crlUrl, shardUrl(leaf.shard));
      }
      const [revoked, ...rest] = leaves;
      if (!revoked) throw new Error('nothing issued');
      await client.revoke(revoked.der, 1);

      for (let shard = 0; shard < SHARDS; shard++) {
        const crl = await fetchCrl(shardUrl(shard), node.rootPem);
        assert.equal(crl.serials.has(revoked.serial), shard === revoked.shard, `serial on shard ${shard}'s CRL: ${crl.serials.has(revoked.serial)}`);
      }
      // The issuer-wide URL now lists only certificates issued without a shard: none here.
      const legacy = await readCrl(await get(`/crl/${issuerId}.crl`));
      assert.equal(legacy.serials.size, 0);

      const der = await get(`/crl/${issuerId}/${revoked.shard}.crl`);
      const text = scratch.run(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text'], { 'crl.der': der });
      assert.equal(text.status, 0, text.out);
      assert.match(text.out, new RegExp(`Issuing Distribution Point: critical\\s+Full Name:\\s+URI:${revoked.crlUrl.replace(/[.]/g, '\\.')}\\s+Only User Certificates`));

      const files = {
        'root.pem': (await get('/ca/root.pem')).toString('utf8'), 'int.pem': (await get('/ca/intermediate.pem')).toString('utf8'),
        'crl.der': der, 'revoked.pem': revoked.pem,
      };
      scratch.run(['crl', '-inform', 'DER', '-in', 'crl.der', '-out', 'crl.pem'], files);
      const verify = (leaf: string) => scratch.run(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'int.pem', '-CRLfile', 'crl.pem', leaf]);
      const refused = verify('revoked.pem');
      assert.notEqual(refused.status, 0);
      assert.match(refused.out, /certificate revoked/);
      const sameShard = rest.find((l) => l.shard === revoked.shard) ?? (await issueInShard(revoked.shard));
      const accepted = scratch.run(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'int.pem', '-CRLfile', 'crl.pem', 'good.pem'], { 'good.pem': sameShard.pem });
      assert.equal(accepted.status, 0, accepted.out);
    });

    /** Issues until a leaf lands in `shard` (bounded). */
    async function issueInShard(shard: number): Promise<Leaf> {
      for (let i = 0; i < 8; i++) {
        const found = (await issue(`more${i}-`, 4)).find((l) => l.shard === shard);
        if (found) return found;
      }
      throw new Error(`no leaf landed in shard ${shard}`);
    }

    test('a revocation\'s queued job rebuilds its shard\'s CRL and leaves the other shards\' alone', async () => {
      const [cert] = await issue('crash', 1);
      if (!cert) throw new Error('nothing issued');
      // Every shard's CRL is stored and current before the revocation.
      for (let shard = 0; shard < SHARDS; shard++) await get(`/crl/${issuerId}/${shard}.crl`);
      const db = openDb(node.config);
      try {
        const numbers = async (): Promise<Map<number, number>> =>
          new Map((await db.query<{ shard: number; number: number }>('SELECT shard, number FROM crl_shards WHERE issuer_id = ?', [issuerId])).map((r) => [Number(r.shard), Number(r.number)]));
        const before = await numbers();
        // The revocation path as the CLI runs it, with a CA that "dies" right after the commit.
        const crashed = { updateCrl: () => Promise.reject(new Error('process died after commit')) };
        const service = new AdminService({ store: new SqlAdminStore(db), revocations: new SqlRevocationStore(db), now: Date.now, actor: 'cli:test' });
        const { crlError } = await service.revokeCertificate(crashed, cert.hex, 1);
        assert.match(crlError?.message ?? '', /process died/);
        const [row] = await db.query<{ crl_shard: number | null }>('SELECT crl_shard FROM certificates WHERE serial = ?', [cert.hex.toLowerCase()]);
        assert.equal(Number(row?.crl_shard), cert.shard, 'the certificate records the shard its distribution point names');
        // Read the stored CRL straight from the database: a GET would rebuild it by itself.
        await waitFor(async () => {
          const rows = await db.query<{ der: Buffer }>('SELECT der FROM crl_shards WHERE issuer_id = ? AND shard = ?', [issuerId, cert.shard]);
          const crl = rows[0] && (await readCrl(Buffer.from(rows[0].der)));
          return crl?.serials.has(cert.serial) ? crl : undefined;
        }, { what: `serial ${cert.serial} on shard ${cert.shard}'s stored CRL`, timeoutMs: 20_000, intervalMs: 200 });
        const after = await numbers();
        for (let shard = 0; shard < SHARDS; shard++) {
          if (shard === cert.shard) assert.ok((after.get(shard) ?? 0) > (before.get(shard) ?? 0), 'the revoked certificate\'s shard was rebuilt');
          else assert.equal(after.get(shard), before.get(shard), `shard ${shard} was not rebuilt`);
        }
        const pending = await db.query<{ status: string }>(`SELECT status FROM jobs WHERE kind = 'crl' AND status <> 'done'`);
        assert.deepEqual(pending, [], 'every crl job ran to completion');
      } finally {
        await db.close();
      }
    });
  });
}
