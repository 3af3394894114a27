// A database failover is not a total outage. While only a standby answers (the primary crashed,
// nothing promoted yet) every node stays ready (/readyz 200 saying writes are down), the front
// keeps serving what needs no write (directory, newNonce), and a write is refused with a retryable
// 503 `unavailable`, Retry-After and a fresh nonce. Once the standby is promoted, writes succeed
// again without a restart. The nodes reach the standby through a multi-host URL without
// target_session_attrs (the primary first, else the standby): a stand-in for the read-only
// fallback of docs/ha.md's HAProxy on Patroni, which `certainty drill pg-kill` runs in the lab.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcmeClient, AcmeError, AcmeTransport, type AcmeResponse } from '../../src/acme-client/client.ts';
import { startHttp01Responder } from '../../src/acme-client/responder.ts';
import { startCluster, type Cluster } from '../support/cluster.ts';
import { startTestDns } from '../support/dns.ts';
import { httpRequest } from '../../src/http-client.ts';
import { startPostgres } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';
import { pgStop, startStandby } from './pg-control.ts';
import { RUN } from './setup.ts';

/** Keeps the last answer, for the headers an AcmeError does not carry. */
class RecordingTransport extends AcmeTransport {
  last: AcmeResponse | undefined;

  override async request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<AcmeResponse> {
    this.last = await super.request(method, url, body, headers);
    return this.last;
  }
}

/** Each node's own /readyz: status and the `writes` it reports (undefined when it does not answer). */
async function readyz(cluster: Cluster): Promise<Array<{ status: number; writes: unknown }>> {
  return Promise.all(cluster.nodes.map(async (n) => {
    const res = await httpRequest(`${n.baseUrl}/readyz`, { ca: cluster.rootPem, timeoutMs: 3_000 }).catch(() => undefined);
    if (res === undefined) return { status: 0, writes: undefined };
    return { status: res.status, writes: (JSON.parse(res.body.toString('utf8')) as { writes?: unknown }).writes };
  }));
}

test('only a standby answers: reads served and nodes ready, writes refused 503 with Retry-After; after promotion writes succeed', { timeout: 240_000 }, async () => {
  const dns = await startTestDns();
  const responder = await startHttp01Responder();
  const primary = await startPostgres();
  const name = `standby_${RUN.replace(/[^a-z0-9]/g, '')}`;
  await primary.createDatabase(name);
  const standby = await startStandby(primary);
  const databaseUrl = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/${name}`;
  const cluster = await startCluster({ databaseUrl, dnsAddress: dns.dnsAddress, http01Port: responder.port, env: { CERTAINTY_LOG_LEVEL: 'warn' } });
  const transport = new RecordingTransport({ directoryUrl: cluster.directoryUrl, ca: cluster.rootPem, timeoutMs: 10_000 });
  try {
    await pgStop(primary.dataDir, 'immediate');
    const seen = await waitFor(async () => {
      const now = await readyz(cluster);
      return now.every((r) => r.status === 200 && r.writes === false) ? now : undefined;
    }, { what: 'every node ready with writes down while only the standby answers', timeoutMs: 60_000, intervalMs: 200 });
    assert.equal(seen.length, cluster.nodes.length);
    await cluster.haproxy.waitForStates(Object.fromEntries(cluster.nodes.map((_n, i) => [cluster.backendName(i), 'UP'])), 30_000);

    const directory = await httpRequest(cluster.directoryUrl);
    assert.equal(directory.status, 200, 'the directory is served through the front');
    const nonce = await httpRequest(`${cluster.frontUrl}/acme/new-nonce`, { method: 'HEAD' });
    assert.equal(nonce.status, 200, 'newNonce is served through the front');
    assert.match(String(nonce.headers['replay-nonce']), /^[A-Za-z0-9_-]+$/);

    const refused = await new AcmeClient(transport).createAccount().then(() => undefined, (err: unknown) => err);
    assert.ok(refused instanceof AcmeError, `a write while only the standby answers must fail: ${String(refused)}`);
    assert.equal(refused.status, 503);
    assert.equal(refused.problem?.type, 'urn:certainty:error:unavailable');
    assert.match(refused.problem?.detail ?? '', /database is unavailable/);
    assert.equal(transport.last?.headers['retry-after'], '2');
    assert.ok(transport.last?.headers['replay-nonce'], 'the refusal carries a fresh nonce for the retry');

    await standby.promote();
    const account = await waitFor(
      () => new AcmeClient(transport).createAccount().then((acct) => String(acct['url']), () => undefined),
      { what: 'a new account once the standby is promoted', timeoutMs: 30_000, intervalMs: 500 },
    );
    assert.match(account, /\/acme\/account\//);
    assert.ok((await readyz(cluster)).every((r) => r.status === 200 && r.writes === true), 'writes are back on every node');
  } finally {
    transport.close();
    await cluster.stop();
    await standby.stop();
    await primary.stop().catch(() => undefined);
    await responder.close();
    await dns.stop();
  }
});
