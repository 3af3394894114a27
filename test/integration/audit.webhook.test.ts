// Audit records reach an HTTP webhook at least once: the receiver answers 500 for a while and
// leaves one request unanswered; the forwarder backs off and retries, and once the receiver is
// healthy every record has arrived, with the configured headers and nothing secret stored.
import * as assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import pino, { type Logger } from 'pino';
import { AuditForwarder, type ForwarderOptions } from '../../src/audit/forwarder.ts';
import { AuditLog } from '../../src/audit/log.ts';
import { createSinks, type AuditSink } from '../../src/audit/sinks.ts';
import type { CursorStatus } from '../../src/audit/store.ts';
import type { AuditRecordJson } from '../../src/audit/wire.ts';
import { SqlAuditOutboxStore } from '../../src/store/audit-outbox-store.ts';
import { SqlAuditChainStore } from '../../src/store/audit-store.ts';
import type { Database } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openTwo } from '../support/databases.ts';
import { dialects } from '../support/node.ts';
import { waitFor } from '../support/wait.ts';

/** This node's audit log, its forwarder and its sinks' cursors over `db`, as src/serve.ts builds them. */
const logOn = (db: Database, nodeId: string): AuditLog => new AuditLog({ chain: new SqlAuditChainStore(db), nodeId });
const forwarderOn = (db: Database, sinks: AuditSink[], options: ForwarderOptions, log: Logger): AuditForwarder =>
  new AuditForwarder({ outbox: new SqlAuditOutboxStore(db), sinks, options, log });
const cursorStatus = (db: Database): Promise<CursorStatus[]> => new SqlAuditOutboxStore(db).cursors();

type Mode = 'fail' | 'hang' | 'ok';

/** A webhook receiver whose behaviour the test switches; only batches it answers 2xx count as received. */
class WebhookReceiver {
  readonly received: AuditRecordJson[] = [];
  readonly answered = { ok: 0, failed: 0, hung: 0 };
  mode: Mode = 'ok';
  headers: IncomingMessage['headers'] | undefined;
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.headers = req.headers;
        const mode = this.mode;
        if (mode === 'hang') {
          this.answered.hung += 1;
          this.mode = 'ok';
          return;
        }
        if (mode === 'fail') {
          this.answered.failed += 1;
          res.writeHead(500).end('down for maintenance');
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: AuditRecordJson[] };
        this.received.push(...body.records);
        this.answered.ok += 1;
        res.writeHead(204).end();
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const address = this.server.address();
    assert.ok(address !== null && typeof address === 'object');
    return `http://127.0.0.1:${address.port}/audit?source=certainty`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  unique(): Map<string, number> {
    const seen = new Map<string, number>();
    for (const r of this.received) seen.set(`${r.nodeId}/${r.seq}`, (seen.get(`${r.nodeId}/${r.seq}`) ?? 0) + 1);
    return seen;
  }
}

for (const dialect of dialects()) {
  describe(`audit webhook sink (${dialect})`, { timeout: 120_000 }, () => {
    let dbs: Awaited<ReturnType<typeof openTwo>>;
    before(async () => {
      dbs = await openTwo(dialect);
      await migrate(dbs.a);
    });
    after(async () => dbs?.cleanup());

    test('500s and a hung request are retried with backoff until every record arrives', async (t) => {
      const receiver = new WebhookReceiver();
      const url = await receiver.listen();
      const sinks = () => createSinks([{ type: 'webhook', url, headers: { authorization: 'Bearer receiver-secret' } }], 1000);
      const opts = (owner: string) => ({ owner, batchSize: 7, pollMs: 50, timeoutMs: 1000, retryMinMs: 100, retryMaxMs: 400 });
      const forwarders = [forwarderOn(dbs.a, sinks(), opts('node-w1'), pino({ level: 'silent' })), forwarderOn(dbs.b, sinks(), opts('node-w2'), pino({ level: 'silent' }))];
      const logs = [logOn(dbs.a, 'node-w1'), logOn(dbs.b, 'node-w2')];
      try {
        receiver.mode = 'hang';
        for (const f of forwarders) f.start();
        for (let i = 0; i < 10; i += 1) await (logs[i % 2] as AuditLog).record(undefined, { actor: 'cli:op', action: 'eab.created', object: `eab:k${i}`, outcome: 'success', details: { label: `team ${i}` } });
        await waitFor(async () => (receiver.answered.hung === 1 && receiver.received.length > 0 ? true : undefined), { what: 'a hung request, then deliveries', timeoutMs: 20_000 });
        receiver.mode = 'fail';
        for (let i = 10; i < 60; i += 1) await (logs[i % 2] as AuditLog).record(undefined, { actor: 'cli:op', action: 'eab.revoked', object: `eab:k${i}`, outcome: 'success' });
        await waitFor(async () => ((await cursorStatus(dbs.a)).some((c) => c.attempts >= 3) ? true : undefined), { what: 'three failed attempts in a row', timeoutMs: 20_000 });
        const status = await cursorStatus(dbs.a);
        assert.ok(status.every((c) => c.seq < c.headSeq || c.attempts === 0), 'failed cursors do not move');
        assert.match(status.find((c) => c.attempts >= 3)?.lastError ?? '', /answered HTTP 500/);
        assert.ok(status.every((c) => !c.sink.includes('?') && !(c.lastError ?? '').includes('receiver-secret')), 'no query string or header in stored state');
        receiver.mode = 'ok';
        await waitFor(async () => (receiver.unique().size === 60 ? true : undefined), { what: 'all 60 records', timeoutMs: 30_000 });
        for (const node of ['node-w1', 'node-w2']) {
          const seqs = [...receiver.unique().keys()].filter((k) => k.startsWith(`${node}/`)).map((k) => Number(k.split('/')[1])).sort((x, y) => x - y);
          assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => i + 1), `${node}: every seq`);
        }
        assert.equal(receiver.headers?.authorization, 'Bearer receiver-secret');
        assert.equal(receiver.headers?.['content-type'], 'application/json');
        const sample = receiver.received.find((r) => r.object === 'eab:k0');
        assert.deepEqual(sample?.details, { label: 'team 0' });
        t.diagnostic(`webhook: ${receiver.answered.failed} answered 500, ${receiver.answered.hung} hung, ${receiver.received.length} records received for 60 (${receiver.received.length - 60} duplicates)`);
      } finally {
        for (const f of forwarders) await f.stop();
        await receiver.close();
      }
    });
  });
}
