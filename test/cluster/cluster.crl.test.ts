// Revocations reach the CRL across a 3-node PostgreSQL cluster: N revocations
// at once, each sent to another node directly, then several `certainty cert revoke` runs at once, each
// with another node's environment. Every node then serves a CRL (read by openssl) listing every
// revoked serial, and the CRL numbers seen at the front while revoking never go down.
import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { base64url } from 'jose';
import { AcmeTransport, type AcmeClient } from '../../src/acme-client/client.ts';
import { createAccounts } from '../../src/lab/load.ts';
import { REPO_ROOT, type CertaintyServer } from '../support/certainty.ts';
import { certificateFacts, fetchCrl, type CrlContents } from '../support/crl.ts';
import { runUnchecked } from '../support/run.ts';
import { RUN, startClusterEnv, type ClusterEnv } from './setup.ts';

const N = 9;
/** Each CLI run is a whole process (a few seconds of CPU): fewer of them at once on 2 cores. */
const N_CLI = 6;
let env: ClusterEnv;
let client: AcmeClient;
let crlUrl = '';

before(async () => {
  // The scheduled CRL duty stays out of the way: what is tested is the revocation path itself.
  env = await startClusterEnv({ env: { CERTAINTY_CRL_PERIOD_MS: '86400000' } });
  const [c] = await createAccounts(env.transport(), 1);
  if (!c) throw new Error('no account');
  client = c;
}, { timeout: 120_000 });

after(async () => {
  await env?.stop();
}, { timeout: 60_000 });

const nodeFor = (i: number): CertaintyServer => env.cluster.nodes[i % env.cluster.nodes.length] as CertaintyServer;

async function issue(label: string, n: number): Promise<Array<{ der: Uint8Array; serial: string; hex: string }>> {
  const issued = await Promise.all(Array.from({ length: n }, (_, i) =>
    client.issue({ identifiers: [`${label}${i}.${RUN}.crl.test`], challengeType: 'http-01', solver: env.responder })));
  return Promise.all(issued.map(async ({ certificatePem }) => {
    const facts = await certificateFacts(certificatePem);
    crlUrl = facts.crlUrl;
    const x = new X509Certificate(certificatePem);
    return { der: x.raw, serial: facts.serial, hex: x.serialNumber };
  }));
}

/**
 * Revokes every certificate at once, certificate i through node `i % 3` itself. Everything is
 * signed and every connection opened first, so the requests arrive together. The JWS names the
 * front's URL, as the nodes expect.
 */
async function revokeThroughEveryNode(ders: Uint8Array[]): Promise<void> {
  const front = env.transport();
  const url = await front.url('revokeCert');
  const kid = client.accountUrl as string;
  const ready = await Promise.all(ders.map(async (der, i) => {
    const node = nodeFor(i);
    const direct = new AcmeTransport({ directoryUrl: node.directoryUrl, ca: env.cluster.rootPem });
    await direct.getDirectory();
    const jws = await direct.signJws({ url, payload: { certificate: base64url.encode(der), reason: 1 }, key: client.key, kid, nonce: await front.newNonce() });
    return { node, direct, jws };
  }));
  try {
    const answers = await Promise.all(ready.map(({ node, direct, jws }) => direct.post(url.replace(env.cluster.frontUrl, node.baseUrl), jws)));
    answers.forEach((res, i) => assert.equal(res.status, 200, `${nodeFor(i).baseUrl}: ${res.text}`));
  } finally {
    for (const { direct } of ready) direct.close();
  }
}

/** Fetches the front's CRL over and over while `work` runs (bounded), and checks numbers never go down. */
async function sampleWhile(work: Promise<unknown>): Promise<void> {
  const seen: CrlContents[] = [];
  let done = false;
  const finished = work.finally(() => (done = true));
  while (!done && seen.length < 200) seen.push(await fetchCrl(crlUrl, env.cluster.rootPem));
  await finished;
  for (let i = 1; i < seen.length; i++) {
    const [a, b] = [seen[i - 1] as CrlContents, seen[i] as CrlContents];
    assert.ok(b.number >= a.number, `CRL number ${b.number} was served after ${a.number}`);
  }
}

/** Every node serves a CRL with every serial, numbered above `after`; returns the highest number. */
async function assertEveryNodeLists(serials: string[], after: bigint): Promise<bigint> {
  const path = new URL(crlUrl).pathname;
  let highest = after;
  for (const node of env.cluster.nodes) {
    const crl = await fetchCrl(`${node.baseUrl}${path}`, env.cluster.rootPem);
    const missing = serials.filter((s) => !crl.serials.has(s));
    assert.deepEqual(missing, [], `${node.baseUrl} serves CRL #${crl.number} missing ${missing.length} of ${serials.length} revoked certificates`);
    assert.ok(crl.number > after, `${node.baseUrl} serves CRL #${crl.number}, not newer than #${after}`);
    if (crl.number > highest) highest = crl.number;
  }
  return highest;
}

test(`${N} concurrent ACME revocations, then ${N_CLI} concurrent CLI ones, through 3 nodes are all on every node's CRL`, { timeout: 240_000 }, async () => {
  const byAcme = await issue('acme', N);
  const start = (await fetchCrl(crlUrl, env.cluster.rootPem)).number;
  await sampleWhile(revokeThroughEveryNode(byAcme.map((c) => c.der)));
  const afterAcme = await assertEveryNodeLists(byAcme.map((c) => c.serial), start);

  const byCli = await issue('cli', N_CLI);
  await sampleWhile(Promise.all(byCli.map(async (c, i) => {
    const r = await runUnchecked(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'cert', 'revoke', c.hex], { env: nodeFor(i).env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
  })));
  await assertEveryNodeLists([...byAcme, ...byCli].map((c) => c.serial), afterAcme);
});
