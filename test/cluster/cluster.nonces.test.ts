// Nonces and rate limits across nodes: HAProxy in http mode balances every request round-robin, so
// consecutive requests of one client land on different nodes. A nonce minted by one node must be
// accepted by the next (RFC 8555 §6.5), and a limit must count orders made on every node.
import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AcmeError, type AcmeClient } from '../../src/acme-client/client.ts';
import { createAccounts, describeLoad, runOrders } from '../../src/lab/load.ts';
import { RUN, startClusterEnv, type ClusterEnv } from './setup.ts';

const LIMIT = 5;
let env: ClusterEnv;

before(async () => {
  env = await startClusterEnv({ config: { rateLimits: { ordersPerAccount: { limit: LIMIT, windowSeconds: 3600 } } } });
}, { timeout: 120_000 });

after(async () => {
  await env?.stop();
}, { timeout: 60_000 });

test('requests spread over 3 nodes complete orders with zero badNonce answers', { timeout: 120_000 }, async () => {
  const transport = env.transport();
  const clients = await createAccounts(transport, 4);
  const result = await runOrders({
    clients, solver: env.responder, concurrency: 4, maxOrders: 4 * (LIMIT - 1), maxSeconds: 60,
    name: (n) => `n${n}.${RUN}.nonce.test`,
  });
  const s = transport.stats;
  console.log(describeLoad('round-robin orders', result, s));
  assert.deepEqual(result.failures.map((f) => f.error), []);
  assert.equal(result.completed, 4 * (LIMIT - 1));
  assert.equal(s.byProblem['badNonce'] ?? 0, 0, `badNonce answers: ${JSON.stringify(s.byProblem)}`);
  assert.equal(s.failed.length, 0, JSON.stringify(s.failed));
  const names = [0, 1, 2].map((i) => env.cluster.backendName(i));
  for (const name of names) {
    // Round-robin over ~200 requests: each node answers about a third.
    assert.ok((s.byBackend[name] ?? 0) > s.requests / 6, `${name} answered ${s.byBackend[name] ?? 0} of ${s.requests} requests`);
  }
});

test('one nonce is accepted once, by whichever node sees it first', { timeout: 60_000 }, async () => {
  const transport = env.transport();
  const [client] = await createAccounts(transport, 1);
  const account = client as AcmeClient;
  const url = await transport.url('newOrder');
  const nonce = await transport.newNonce();
  const payload = { identifiers: [{ type: 'dns', value: `once.${RUN}.nonce.test` }] };
  // The same JWS twice, sent on two different nodes (round-robin): the replay must be refused.
  const jws = await transport.signJws({ url, payload, key: account.key, kid: account.accountUrl as string, nonce });
  const first = await transport.post(url, jws);
  const second = await transport.post(url, jws);
  assert.equal(first.status, 201, first.text);
  assert.equal(second.status, 400, second.text);
  assert.equal(second.body?.type, 'urn:ietf:params:acme:error:badNonce');
  assert.notEqual(first.headers['x-certainty-backend'], second.headers['x-certainty-backend'], 'the replay went to another node');
});

test(`ordersPerAccount (${LIMIT}) holds across the cluster: every node refuses the 6th order`, { timeout: 60_000 }, async () => {
  const transport = env.transport();
  const [client] = await createAccounts(transport, 1);
  const account = client as AcmeClient;
  for (let i = 0; i < LIMIT; i++) await account.newOrder([`rl${i}.${RUN}.nonce.test`]);
  const refusedBy = new Set<string>();
  // Six more attempts: with round-robin every node answers at least one of them.
  for (let i = 0; i < 6; i++) {
    const before = { ...transport.stats.byBackend };
    const err = await account.newOrder([`over${i}.${RUN}.nonce.test`]).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof AcmeError, `order ${LIMIT + 1 + i} was accepted`);
    assert.equal(err.type, 'urn:ietf:params:acme:error:rateLimited');
    for (const [name, n] of Object.entries(transport.stats.byBackend)) if (n !== before[name]) refusedBy.add(name);
  }
  assert.deepEqual([...refusedBy].sort(), [0, 1, 2].map((i) => env.cluster.backendName(i)));
  const rows = await env.cluster.sql()`select count(*)::int as n from orders o join accounts a on a.id = o.account_id where a.id = ${(account.accountUrl ?? '').split('/').pop() ?? ''}`;
  assert.equal(rows[0]?.n, LIMIT, 'exactly the allowed orders exist');
});
