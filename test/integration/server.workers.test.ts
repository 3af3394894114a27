// `certainty serve --workers 2`: two worker processes share the listener, each a node of its own
// (two nodes in `cluster status`); a worker killed with SIGKILL is restarted by the primary and
// orders keep succeeding; SIGTERM to the primary alone drains both workers and exits 0, and every
// order the server answered `valid` is in the database afterwards. Workers that keep dying make
// the primary give up with a non-zero exit.
import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AcmeClient, AcmeTransport } from '../../src/acme-client/client.ts';
import { startHttp01Responder } from '../../src/acme-client/responder.ts';
import { startTestDnsServer } from '../../src/lab/dns-server.ts';
import { REPO_ROOT, startCertainty, type CertaintyServer } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { startDaemon } from '../support/process.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor, withTimeout } from '../support/wait.ts';

interface WorkerStart { worker: number; workerPid: number }

/** The workers the primary forked, oldest first, from its `worker started` log lines. */
async function workerStarts(server: CertaintyServer): Promise<WorkerStart[]> {
  return (await readFile(server.logPath, 'utf8')).split('\n')
    .filter((line) => line.includes('"msg":"worker started"'))
    .map((line) => JSON.parse(line) as WorkerStart);
}

async function nodesUp(server: CertaintyServer): Promise<string[]> {
  const status = JSON.parse(await server.cli(['cluster', 'status', '--json'])) as { nodes: Array<{ id: string; status: string }> };
  return status.nodes.filter((n) => n.status === 'up').map((n) => n.id).sort();
}

const serial = (hex: string): string => hex.toLowerCase().replace(/^0+/, '');

for (const dialect of dialects()) {
  test(`serve --workers 2: two nodes, a killed worker is restarted, SIGTERM drains both (${dialect})`, { timeout: 240_000 }, async () => {
    const dns = await startTestDnsServer({}, { fallback: { A: ['127.0.0.1'] } });
    const responder = await startHttp01Responder();
    const databaseUrl = await freshDatabaseUrl(dialect);
    const server = await startCertainty({
      dnsAddress: dns.address, http01Port: responder.port, tlsAlpn01Port: 1, ...(databaseUrl === undefined ? {} : { databaseUrl }),
      env: { CERTAINTY_WORKERS: '2', CERTAINTY_DRAIN_DELAY_MS: '1000' }, readyTimeoutMs: 60_000,
    });
    const transport = new AcmeTransport({ directoryUrl: server.directoryUrl, ca: await readFile(server.rootPemPath, 'utf8') });
    after(async () => {
      transport.close();
      await server.dispose();
      await responder.close();
      await dns.close();
    });
    const clients = await Promise.all([0, 1, 2, 3].map(async () => {
      const client = new AcmeClient(transport, undefined, { minIntervalMs: 50, maxRetryAfterMs: 500 });
      await client.createAccount();
      return client;
    }));
    let n = 0;
    const issue = async (client: AcmeClient): Promise<string> => {
      const { certificatePem } = await client.issue({ identifiers: [`w${n++}.workers.test`], challengeType: 'http-01', solver: responder });
      return serial(new X509Certificate(certificatePem).serialNumber);
    };
    const issued: string[] = [];
    const round = async (): Promise<void> => void issued.push(...(await Promise.all(clients.map(issue))));

    await round();
    const log = await readFile(server.logPath, 'utf8');
    assert.match(log, /is serving \(2 workers: /, 'the banner names the workers');
    // The primary migrates and creates the CA before forking: both happen once.
    assert.equal(log.split('"msg":"certificate authority created"').length, 2, 'the CA is created once');
    assert.equal(log.split('"msg":"database migrated"').length, 2, 'the schema is migrated once');
    const ids = await nodesUp(server);
    assert.equal(ids.length, 2, `two nodes up: ${ids.join(', ')}`);
    assert.ok(ids.every((id, i) => id.endsWith(`-w${i + 1}`)), `worker node ids: ${ids.join(', ')}`);
    assert.ok(new Set(ids.map((id) => id.replace(/-w\d+$/, ''))).size === 1, 'both derive from the data directory node id');

    const [first] = await workerStarts(server);
    assert.ok(first !== undefined, 'the primary logged its workers');
    const primaryPid = Number(/^PPid:\s+(\d+)$/m.exec(await readFile(`/proc/${first.workerPid}/status`, 'utf8'))?.[1]);
    process.kill(first.workerPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    // The other worker takes every connection meanwhile.
    await round();
    await waitFor(async () => ((await workerStarts(server)).filter((s) => s.worker === first.worker).length === 2 ? true : undefined), {
      what: `worker ${first.worker} forked again`, timeoutMs: 30_000, intervalMs: 200,
    });
    await waitFor(async () => ((await nodesUp(server)).length === 2 ? true : undefined), { what: 'both nodes up again', timeoutMs: 60_000, intervalMs: 500 });
    assert.match(await readFile(server.logPath, 'utf8'), /"msg":"worker died: restarting it"/);
    await round();

    // SIGTERM to the primary alone, with orders in flight: it drains both workers and exits 0.
    const inFlight = Promise.allSettled(clients.flatMap((c) => [issue(c), issue(c)]));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(primaryPid, 'SIGTERM');
    await waitFor(async () => (server.isRunning() ? undefined : true), { what: 'the primary to exit', timeoutMs: 60_000, intervalMs: 200 });
    const exit = await server.stop();
    assert.equal(exit.code, 0, await server.logTail());
    const stoppedLines = (await readFile(server.logPath, 'utf8')).split('\n').filter((l) => l.includes('"msg":"worker stopped"'));
    assert.equal(stoppedLines.length, 2, 'both workers reported stopped');
    assert.ok(stoppedLines.every((l) => l.includes('"code":0')), stoppedLines.join('\n'));
    for (const result of await inFlight) if (result.status === 'fulfilled') issued.push(result.value);

    // No lost order: every certificate a client received is recorded.
    const recorded = new Set((JSON.parse(await server.cli(['cert', 'list', '--limit', '1000', '--json'])) as Array<{ serial: string }>).map((c) => serial(c.serial)));
    assert.ok(issued.length >= 12, `orders completed: ${issued.length}`);
    assert.deepEqual(issued.filter((s) => !recorded.has(s)), [], 'every issued certificate is in the database');
  });
}

test('serve --workers 2: workers that keep dying stop the primary with a non-zero exit', { timeout: 180_000 }, async () => {
  // Another program holds the port: every worker fails to listen and exits 1.
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const port = (squatter.address() as { port: number }).port;
  const root = await makeTempDir('workers-dying');
  try {
    const logPath = join(root, 'certainty.log');
    const daemon = await startDaemon(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'serve', '--workers', '2'], {
      cwd: REPO_ROOT, logPath, env: { CERTAINTY_DATA_DIR: join(root, 'data'), CERTAINTY_LISTEN: `127.0.0.1:${port}`, CERTAINTY_DATABASE_URL: undefined },
    });
    const exit = await withTimeout(daemon.exited, 150_000, 'the primary to give up');
    const log = await readFile(logPath, 'utf8');
    assert.equal(exit.code, 1, log.slice(-3000));
    assert.match(log, /"msg":"worker died: restarting it"/);
    assert.match(log, /"msg":"workers keep dying: stopping the others"/);
  } finally {
    squatter.close();
    await removeDir(root);
  }
});
