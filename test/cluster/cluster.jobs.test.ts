// Validation jobs survive the node running them. Challenges are answered on one node directly, so
// that node claims their validation jobs; the http-01 responder stalls, so the jobs are mid-flight
// when the node is SIGKILLed. Once the responder answers again, the other nodes re-claim the jobs
// after their claims lapse: every challenge ends valid and every job is done exactly once, by a
// node that is still alive.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { AcmeTransport } from '../../src/acme-client/client.ts';
import type { CertaintyServer } from '../support/certainty.ts';
import { startCluster, type Cluster } from '../support/cluster.ts';
import { startTestDns, type TestDns } from '../support/dns.ts';
import { waitFor } from '../support/wait.ts';
import { createAccounts, CountingTransport, POLL } from '../../src/lab/load.ts';
import { RUN } from './setup.ts';

const CHALLENGES = 12;
const VICTIM = 1;

let dns: TestDns;
let cluster: Cluster;
let hold = true;
const held: ServerResponse[] = [];
const answers = new Map<string, string>();
const responder = createServer((req, res) => {
  const token = (req.url ?? '').split('/').pop() ?? '';
  if (hold) held.push(res);
  else res.writeHead(200).end(answers.get(token) ?? '');
});

before(async () => {
  responder.listen(0, '127.0.0.1');
  await once(responder, 'listening');
  dns = await startTestDns();
  cluster = await startCluster({
    dnsAddress: dns.dnsAddress,
    http01Port: (responder.address() as AddressInfo).port,
    // The stalled fetches must outlive the kill; the jobs, not the fetch timeout, are under test.
    env: { CERTAINTY_VALIDATION_TIMEOUT_MS: '30000' },
    // All 12 validations of the one account must run on the victim: lift the per-account share
    // of a node's slots (default 4), which would leave the rest queued for the other nodes.
    config: { validation: { concurrencyPerAccount: CHALLENGES } },
  });
}, { timeout: 120_000 });

after(async () => {
  hold = false;
  for (const res of held.splice(0)) res.destroy();
  await cluster?.stop();
  await dns?.stop();
  responder.closeAllConnections();
  responder.close();
}, { timeout: 60_000 });

test(`SIGKILL a node running ${CHALLENGES} validations: each job is completed exactly once by another node`, { timeout: 150_000 }, async () => {
  const front = new CountingTransport({ directoryUrl: cluster.directoryUrl, ca: cluster.rootPem });
  const victim = cluster.nodes[VICTIM] as CertaintyServer;
  const direct = new AcmeTransport({ directoryUrl: victim.directoryUrl, ca: cluster.rootPem });
  try {
    const [client] = await createAccounts(front, 1);
    if (client === undefined) throw new Error('no account');
    const challenges: Array<{ id: string; url: string; authz: string }> = [];
    for (let i = 0; i < CHALLENGES; i++) {
      const order = await client.newOrder([`job${i}.${RUN}.jobs.test`]);
      const authzUrl = order.authorizations[0] as string;
      const authz = await client.getAuthorization(authzUrl);
      const ch = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
      answers.set(ch.token, await client.keyAuthorization(ch.token));
      challenges.push({ id: (ch.url as string).split('/').pop() as string, url: ch.url, authz: authzUrl });
    }
    // Answer every challenge on the victim itself: URLs (and the JWS `url`) stay the front's, as
    // the node expects, but the request goes to the node's own address.
    const answered = await Promise.all(challenges.map(async (c) => {
      const jws = await direct.signJws({ url: c.url, payload: {}, key: client.key, kid: client.accountUrl as string, nonce: await front.newNonce() });
      return direct.post(c.url.replace(cluster.frontUrl, victim.baseUrl), jws);
    }));
    assert.deepEqual(answered.map((r) => r.body?.status), challenges.map(() => 'processing'), answered.map((r) => r.text).join('\n'));

    const sql = cluster.sql();
    const victimId = (await cluster.healthz(VICTIM))['node'] as string;
    const ids = challenges.map((c) => c.id);
    const keys = ids.map((id) => `validate:${id}`);
    await waitFor(async () => (held.length >= CHALLENGES ? true : undefined), { what: `${CHALLENGES} stalled http-01 fetches`, timeoutMs: 15_000 });
    const claimed = await sql`select claimed_by, status from jobs where idempotency_key in ${sql(keys)}`;
    assert.deepEqual(claimed.map((r) => `${String(r['claimed_by'])}:${String(r['status'])}`), keys.map(() => `${victimId}:running`));

    const killedAt = Date.now();
    await victim.kill9();
    hold = false;
    for (const res of held.splice(0)) res.destroy();

    // A poll that HAProxy had just sent to the dead node can fail on the network before the node is
    // marked down; a POST-as-GET is safe to send again, as any client would.
    const pollValid = async (authz: string): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await client.poll(authz, ['valid'], { ...POLL, timeoutMs: 90_000 });
          return;
        } catch (err) {
          if (attempt >= 3 || typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
        }
      }
    };
    await Promise.all(challenges.map((c) => pollValid(c.authz)));
    if (front.stats.failed.length > 0) console.log(`jobs: requests that failed on the killed node: ${JSON.stringify(front.stats.failed)}`);
    console.log(`jobs: ${CHALLENGES} validations finished by the surviving nodes ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
    const jobs = await sql`select idempotency_key, status, attempts::int as attempts, claimed_by, completed_by from jobs where idempotency_key in ${sql(keys)}`;
    assert.equal(jobs.length, CHALLENGES, 'one job per challenge');
    for (const j of jobs) {
      assert.equal(j['status'], 'done', JSON.stringify(j));
      assert.notEqual(j['completed_by'], null, JSON.stringify(j));
      assert.notEqual(j['completed_by'], victimId, `completed by the killed node: ${JSON.stringify(j)}`);
      assert.ok(j['attempts'] >= 2, `the killed attempt counts: ${JSON.stringify(j)}`);
    }
    const states = await sql`select status, count(*)::int as n from challenges where id in ${sql(ids)} group by status`;
    assert.deepEqual([...states].map((r) => ({ ...r })), [{ status: 'valid', n: CHALLENGES }]);
    const spread = await sql`select completed_by, count(*)::int as n from jobs where idempotency_key in ${sql(keys)} group by completed_by`;
    console.log(`jobs: completed by ${JSON.stringify([...spread].map((r) => ({ ...r })))}`);
  } finally {
    front.close();
    direct.close();
  }
});
