// The nodes follow PostgreSQL through outages without being restarted: while the database is
// down every node answers /readyz 503 (so HAProxy stops sending it work), and once a primary is
// back (the same one restarted, or a promoted standby found through a multi-host URL with
// target_session_attrs=read-write) every node is ready again. Prints the seconds of write
// unavailability: from the start of the first failed write to the end of the first write that
// succeeded after it, with writes (newOrder through the front) attempted every 100 ms.
import * as assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { listenerPid, startCluster } from '../support/cluster.ts';
import { startTestDns } from '../support/dns.ts';
import { startPostgres } from '../support/postgres.ts';
import { startHttp01Responder } from '../../src/acme-client/responder.ts';
import { waitFor } from '../support/wait.ts';
import type { Cluster } from '../support/cluster.ts';
import { createAccounts, CountingTransport } from '../../src/lab/load.ts';
import { pgStart, pgStop, startStandby } from './pg-control.ts';
import { RUN } from './setup.ts';

interface WriteAttempt { start: number; end: number; ok: boolean; what: string }

/** newOrder through the front every 100 ms until `stop()` (at most 900 attempts / 120 s). */
async function writeLoop(cluster: Cluster, label: string, stop: () => boolean): Promise<WriteAttempt[]> {
  const transport = new CountingTransport({ directoryUrl: cluster.directoryUrl, ca: cluster.rootPem, timeoutMs: 5_000 });
  const [client] = await createAccounts(transport, 1);
  const attempts: WriteAttempt[] = [];
  const deadline = Date.now() + 120_000;
  try {
    for (let n = 0; n < 900 && !stop() && Date.now() < deadline; n++) {
      const start = Date.now();
      const what = await client?.newOrder([`w${n}.${label}.${RUN}.db.test`]).then(() => 'ok', (err: unknown) => (err as Error).message.slice(0, 120));
      attempts.push({ start, end: Date.now(), ok: what === 'ok', what: what ?? 'no client' });
      await sleep(100);
    }
  } finally {
    transport.close();
  }
  return attempts;
}

/** Seconds from the first failed write to the first success after it; 0 when nothing failed. */
function unavailableSeconds(attempts: readonly WriteAttempt[]): { seconds: number; failed: number } {
  const firstFail = attempts.findIndex((a) => !a.ok);
  if (firstFail < 0) return { seconds: 0, failed: 0 };
  const recovered = attempts.slice(firstFail).find((a) => a.ok);
  assert.ok(recovered, `writes never recovered: last error ${attempts.at(-1)?.what ?? ''}`);
  return { seconds: (recovered.end - (attempts[firstFail] as WriteAttempt).start) / 1000, failed: attempts.filter((a) => !a.ok).length };
}

async function pids(cluster: Cluster): Promise<Array<number | undefined>> {
  return Promise.all(cluster.nodes.map((n) => listenerPid(n.port)));
}

/**
 * Every change of HAProxy's server states or of the nodes' /readyz answers, with milliseconds
 * since `t0`, until `stop()`: shows how long detection and recovery took on each side.
 */
async function timeline(cluster: Cluster, t0: number, stop: () => boolean): Promise<string[]> {
  const changes: string[] = [];
  let last = '';
  for (let n = 0; n < 2_000 && !stop(); n++) {
    const states = Object.values(await cluster.haproxy.backendStates().catch(() => ({}))).join(',');
    const ready = (await Promise.all(cluster.nodes.map((_n, i) => cluster.readyz(i)))).join(',');
    const now = `haproxy ${states} readyz ${ready}`;
    if (now !== last) changes.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${now}`);
    last = now;
    await sleep(100);
  }
  return changes;
}

/** Runs `outage` under the write loop; returns what the writes saw. */
async function duringOutage(cluster: Cluster, label: string, outage: () => Promise<void>): Promise<{ seconds: number; failed: number; total: number }> {
  const before = await pids(cluster);
  let done = false;
  const t0 = Date.now();
  const writes = writeLoop(cluster, label, () => done);
  const changes = timeline(cluster, t0, () => done);
  try {
    await sleep(1_500);
    console.log(`${label}: outage starts at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await outage();
    await cluster.waitAllReady(60_000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${await cluster.logs(25)}`, { cause: err });
    });
    await sleep(1_500);
  } finally {
    done = true;
  }
  const attempts = await writes;
  console.log(`${label}: ${(await changes).join(' | ')}`);
  const after = await pids(cluster);
  if (after.some((pid, i) => pid !== before[i])) assert.fail(`a node exited or was restarted: pids ${JSON.stringify(before)} → ${JSON.stringify(after)}\n${await cluster.logs(25)}`);
  assert.ok(attempts.slice(-5).every((a) => a.ok), `writes succeed again: ${JSON.stringify(attempts.slice(-5))}`);
  return { ...unavailableSeconds(attempts), total: attempts.length };
}

test('PostgreSQL down for 3 s and back: nodes turn not-ready, then ready again without a restart', { timeout: 180_000 }, async () => {
  const dns = await startTestDns();
  const responder = await startHttp01Responder();
  const pg = await startPostgres();
  const cluster = await startCluster({ pg, dnsAddress: dns.dnsAddress, http01Port: responder.port });
  try {
    const result = await duringOutage(cluster, 'restart', async () => {
      await pgStop(pg.dataDir, 'fast');
      const down = Date.now();
      const seen = await waitFor(async () => {
        const statuses = await Promise.all(cluster.nodes.map((_n, i) => cluster.readyz(i)));
        return statuses.every((s) => s === 503) ? statuses : undefined;
      }, { what: 'every node to answer /readyz 503 while PostgreSQL is down', timeoutMs: 15_000, intervalMs: 100 });
      console.log(`database restart: every node answered /readyz ${JSON.stringify(seen)} ${Date.now() - down} ms after PostgreSQL stopped`);
      await sleep(Math.max(0, 3_000 - (Date.now() - down)));
      await pgStart(pg.dataDir);
      const up = Date.now();
      await cluster.waitAllReady(60_000);
      console.log(`database restart: PostgreSQL accepted connections ${((up - down) / 1000).toFixed(1)} s after it stopped; every node ready and UP in HAProxy ${((Date.now() - up) / 1000).toFixed(1)} s later`);
    });
    console.log(`database restart (down 3 s): write unavailability ${result.seconds.toFixed(1)} s, ${result.failed} of ${result.total} writes failed`);
  } finally {
    await cluster.stop();
    await pg.stop().catch(() => undefined);
    await responder.close();
    await dns.stop();
  }
});

test('primary crashes, standby promoted: nodes follow the new primary through a multi-host URL', { timeout: 180_000 }, async () => {
  const dns = await startTestDns();
  const responder = await startHttp01Responder();
  const primary = await startPostgres();
  const name = `failover_${RUN.replace(/[^a-z0-9]/g, '')}`;
  await primary.createDatabase(name);
  const standby = await startStandby(primary);
  const databaseUrl = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/${name}?target_session_attrs=read-write`;
  const cluster = await startCluster({ databaseUrl, dnsAddress: dns.dnsAddress, http01Port: responder.port });
  try {
    const result = await duringOutage(cluster, 'failover', async () => {
      await pgStop(primary.dataDir, 'immediate');
      // Patroni would promote after its TTL (tens of seconds, docs/ha.md); promoting at once
      // measures what the nodes add: noticing, dropping their pools and finding the new primary.
      await standby.promote();
    });
    console.log(`database failover (immediate promote): write unavailability ${result.seconds.toFixed(1)} s, ${result.failed} of ${result.total} writes failed`);
    const rows = await cluster.sql()`select pg_is_in_recovery() as standby, current_setting('port') as port`;
    assert.equal(rows[0]?.['standby'], false);
    assert.equal(Number(rows[0]?.['port']), standby.port, 'the nodes now write to the promoted standby');
  } finally {
    await cluster.stop();
    await standby.stop();
    await primary.stop().catch(() => undefined);
    await responder.close();
    await dns.stop();
  }
});
