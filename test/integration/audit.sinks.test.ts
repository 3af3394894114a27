// Audit records reach a real syslog receiver (RFC 5424 over TCP, octet counting; and over TLS) at
// least once: the receiver is stopped during a burst of events and a forwarder restarted, and
// after the receiver comes back on the same port every record of both nodes' chains has arrived.
import * as assert from 'node:assert/strict';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { canonicalJson, hashRecord, type AuditAction } from '../../src/audit/chain.ts';
import type { AuditSinkConfig } from '../../src/audit/config.ts';
import { AuditForwarder, type ForwarderOptions } from '../../src/audit/forwarder.ts';
import { AuditLog } from '../../src/audit/log.ts';
import { createSinks, type AuditSink } from '../../src/audit/sinks.ts';
import type { CursorStatus } from '../../src/audit/store.ts';
import { SD_ID } from '../../src/audit/syslog.ts';
import type { AuditRecordJson } from '../../src/audit/wire.ts';
import { SqlAuditOutboxStore } from '../../src/store/audit-outbox-store.ts';
import { SqlAuditChainStore } from '../../src/store/audit-store.ts';
import type { Database } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openTwo } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { dialects } from '../support/node.ts';
import { createTestTlsCert } from '../support/tls-cert.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

/** This node's audit log, its forwarder and its sinks' cursors over `db`, as src/serve.ts builds them. */
const logOn = (db: Database, nodeId: string): AuditLog => new AuditLog({ chain: new SqlAuditChainStore(db), nodeId });
const forwarderOn = (db: Database, sinks: AuditSink[], options: ForwarderOptions, log: Logger): AuditForwarder =>
  new AuditForwarder({ outbox: new SqlAuditOutboxStore(db), sinks, options, log });
const cursorStatus = (db: Database): Promise<CursorStatus[]> => new SqlAuditOutboxStore(db).cursors();

const quiet = pino({ level: 'silent' });
const RFC5424 = new RegExp(`^<(\\d+)>1 (\\S+) (\\S+) certainty - (\\S+) \\[${SD_ID} seq="(\\d+)" actor="[^"]*" object="[^"]*" outcome="(success|failure)" hash="([0-9a-f]{64})" prevHash="([0-9a-f]{64})"\\] \\uFEFF(.*)$`, 's');

/** A syslog receiver over TCP or TLS: parses octet-counted frames, closes when the sender does. */
class SyslogReceiver {
  readonly messages: string[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly port: number, private readonly tls?: { cert: Buffer; key: Buffer }) {}

  async start(): Promise<void> {
    const onSocket = (socket: Socket): void => {
      this.sockets.add(socket);
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (let m = /^(\d+) /.exec(buffer.toString('latin1', 0, 12)); m; m = /^(\d+) /.exec(buffer.toString('latin1', 0, 12))) {
          const start = (m[1] as string).length + 1;
          const end = start + Number(m[1]);
          if (buffer.length < end) break;
          this.messages.push(buffer.toString('utf8', start, end));
          buffer = buffer.subarray(end);
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    };
    this.server = this.tls ? createTlsServer(this.tls, onSocket) : createTcpServer(onSocket);
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Goes away abruptly: stops listening and drops every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Parsed records, checked against RFC 5424 and their structured data. */
  records(): AuditRecordJson[] {
    return this.messages.map((msg) => {
      const m = RFC5424.exec(msg);
      assert.ok(m, `RFC 5424 message: ${msg.slice(0, 200)}`);
      const json = JSON.parse(m[9] as string) as AuditRecordJson;
      assert.equal(Number(m[1]), json.outcome === 'success' ? 13 * 8 + 6 : 13 * 8 + 4, 'PRI: facility log audit');
      assert.equal(m[2], json.time);
      assert.equal(m[3], json.nodeId, 'HOSTNAME is the node id');
      assert.equal(m[4], json.action, 'MSGID is the action');
      assert.deepEqual([Number(m[5]), m[7], m[8]], [json.seq, json.hash, json.prevHash]);
      return json;
    });
  }
}

/** Every (node, seq) received, how many duplicates, and each node's chain re-verified from the received copies alone. */
function tally(records: AuditRecordJson[]): { unique: number; duplicates: number; byNode: Map<string, number[]> } {
  const seen = new Map<string, AuditRecordJson>();
  for (const r of records) seen.set(`${r.nodeId}/${r.seq}`, r);
  const byNode = new Map<string, number[]>();
  for (const r of [...seen.values()].sort((x, y) => x.seq - y.seq)) {
    const { timeMs: time, details, ...rest } = r;
    assert.equal(hashRecord({ ...rest, time, details: canonicalJson(details), action: r.action as AuditAction, outcome: r.outcome as 'success' }), r.hash, 'a receiver can re-check each hash');
    const prev = seen.get(`${r.nodeId}/${r.seq - 1}`);
    if (prev) assert.equal(r.prevHash, prev.hash, 'and each link');
    byNode.set(r.nodeId, [...(byNode.get(r.nodeId) ?? []), r.seq]);
  }
  return { unique: seen.size, duplicates: records.length - seen.size, byNode };
}

const event = (i: number) => ({ actor: `account:a${i % 4}`, action: 'certificate.issued' as const, object: `certificate:${i.toString(16)}`, outcome: 'success' as const, details: { i, note: 'quote " and ] and \\ survive' } });

const options = (owner: string) => ({ owner, batchSize: 10, pollMs: 50, timeoutMs: 2000, retryMinMs: 50, retryMaxMs: 400 });

for (const dialect of dialects()) {
  describe(`audit syslog sink (${dialect})`, { timeout: 120_000 }, () => {
    let dbs: Awaited<ReturnType<typeof openTwo>>;
    let dir: string;
    before(async () => {
      dbs = await openTwo(dialect);
      await migrate(dbs.a);
      dir = await makeTempDir('audit-sinks');
    });
    after(async () => {
      await dbs?.cleanup();
      await removeDir(dir);
    });

    test('a receiver stopped during a burst and a restarted forwarder lose nothing', async (t) => {
      const port = await freePort();
      const receiver = new SyslogReceiver(port);
      await receiver.start();
      const sink: AuditSinkConfig[] = [{ type: 'syslog', address: `127.0.0.1:${port}` }];
      const logs = [logOn(dbs.a, 'node-s1'), logOn(dbs.b, 'node-s2')];
      // Two nodes, each forwarding both chains.
      let first = forwarderOn(dbs.a, createSinks(sink, 2000), options('node-s1'), quiet);
      const second = forwarderOn(dbs.b, createSinks(sink, 2000), options('node-s2'), quiet);
      first.start();
      second.start();
      let appended = 0;
      const burst = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i += 1, appended += 1) await (logs[appended % 2] as AuditLog).record(undefined, event(appended));
      };
      try {
        await burst(20);
        await waitFor(async () => (tally(receiver.records()).unique === 20 ? true : undefined), { what: 'the first 20 records', timeoutMs: 20_000 });
        await burst(30);
        await receiver.stop();
        await burst(30);
        await waitFor(async () => ((await cursorStatus(dbs.a)).some((c) => c.attempts > 0 && c.lastError !== null) ? true : undefined), { what: 'a failed delivery', timeoutMs: 10_000 });
        // The node restarts its forwarder while the receiver is down.
        await first.stop();
        first = forwarderOn(dbs.a, createSinks(sink, 2000), options('node-s1'), quiet);
        first.start();
        await burst(40);
        await receiver.start();
        await waitFor(async () => (tally(receiver.records()).unique === appended ? true : undefined), { what: `all ${appended} records after the outage`, timeoutMs: 30_000 });
        const { byNode, duplicates } = tally(receiver.records());
        for (const [node, seqs] of byNode) assert.deepEqual(seqs, Array.from({ length: appended / 2 }, (_, i) => i + 1), `${node}: every seq, none missing`);
        assert.equal(appended, 120);
        t.diagnostic(`syslog: ${appended} records, ${receiver.messages.length} messages received, ${duplicates} duplicates`);
        await waitFor(async () => ((await cursorStatus(dbs.a)).every((c) => c.seq === c.headSeq && c.attempts === 0) ? true : undefined), { what: 'cursors caught up', timeoutMs: 10_000 });
      } finally {
        await first.stop();
        await second.stop();
        await receiver.stop();
      }
    });

    test('syslog over TLS verifies the receiver and delivers', async () => {
      const cert = await createTestTlsCert(dir);
      const port = await freePort();
      const receiver = new SyslogReceiver(port, { cert: readFileSync(cert.certPath), key: readFileSync(cert.keyPath) });
      await receiver.start();
      const trusted = forwarderOn(dbs.a, createSinks([{ type: 'syslog', name: 'tls-ok', address: `localhost:${port}`, tls: true, caFile: cert.caPemPath }], 2000), options('node-s1'), quiet);
      const untrusted = forwarderOn(dbs.a, createSinks([{ type: 'syslog', name: 'tls-untrusted', address: `127.0.0.1:${port}`, tls: true }], 2000), options('node-s1'), quiet);
      try {
        const log = logOn(dbs.a, 'node-tls');
        for (let i = 0; i < 15; i += 1) await log.record(undefined, event(i));
        trusted.start();
        untrusted.start();
        // The new sink receives the whole history of every chain, this one's included.
        await waitFor(async () => (tally(receiver.records()).byNode.get('node-tls')?.length === 15 ? true : undefined), { what: 'records over TLS', timeoutMs: 20_000 });
        const refused = await waitFor(async () => (await cursorStatus(dbs.a)).find((c) => c.sink === 'tls-untrusted' && c.lastError !== null), { what: 'the untrusted receiver refused', timeoutMs: 10_000 });
        assert.match(refused.lastError ?? '', /certificate/);
        assert.equal(refused.seq, 0, 'nothing counted as delivered to a receiver that could not be verified');
      } finally {
        await trusted.stop();
        await untrusted.stop();
        await receiver.stop();
      }
    });
  });
}
