// `certainty lab`: a real etcd + Patroni + HAProxy + two-node lab comes up in a temp directory,
// reports a leader with a sync standby, every server UP and every node ready, answers an ACME
// directory through its front, refuses a second `up`, and leaves no process behind after a
// `down` that knows only what lab.json says (as after a crashed `lab up`).
import * as assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { labStatus } from '../../src/lab/lab-status.ts';
import { labDown, labUp, readLab, type LabState } from '../../src/lab/lab.ts';
import { freeBasePort, missingPrograms, processesMentioning } from '../support/lab.ts';

const NODES = 2;

const skip = missingPrograms();

function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    }).on('error', reject);
  });
}

let root: string | undefined;
let dir: string | undefined;

after(async () => {
  if (dir !== undefined) await labDown(dir).catch(() => undefined);
  if (root !== undefined) await rm(root, { recursive: true, force: true });
}, { timeout: 60_000 });

test('lab up, status, a second up refused, down leaves nothing running', { skip, timeout: 180_000 }, async () => {
  root = await mkdtemp(join(tmpdir(), 'certainty-lab-test-'));
  // mkdtemp makes 0700; PostgreSQL runs as `postgres` when we are root and must get through.
  await chmod(root, 0o755);
  dir = join(root, 'lab');
  const basePort = await freeBasePort(NODES);
  const lines: string[] = [];
  const started = Date.now();
  const state: LabState = await labUp({ dir, nodes: NODES, basePort, log: (l) => lines.push(l) });
  const upMs = Date.now() - started;

  const status = await labStatus(dir);
  assert.ok(status.processes.every((p) => p.alive), JSON.stringify(status.processes));
  assert.equal(status.processes.length, 3 + 2 + 2 + NODES);
  assert.ok(!('error' in status.patroni), JSON.stringify(status.patroni));
  const roles = status.patroni.members.map((m) => `${m.role}/${m.state}`).sort();
  assert.deepEqual(roles, ['leader/running', 'sync_standby/running']);
  const front = status.haproxy.front;
  assert.ok(!('error' in front), JSON.stringify(front));
  assert.deepEqual(Object.values(front.servers), Array(NODES).fill('UP'));
  const db = status.haproxy.db;
  assert.ok(!('error' in db), JSON.stringify(db));
  // Each primary backend (db, db_node1, db_node2) has exactly its primary UP; each node's
  // read-only fallback has every running member UP (the primary and the sync standby).
  const up = (readOnly: boolean): number => Object.entries(db.servers).filter(([k, s]) => k.includes('_read_only/') === readOnly && s === 'UP').length;
  assert.equal(up(false), 1 + NODES, JSON.stringify(db.servers));
  assert.equal(up(true), 2 * NODES, JSON.stringify(db.servers));
  assert.deepEqual(status.nodes.map((n) => n.readyz), Array(NODES).fill(200));
  assert.match(status.databaseUrl, /^postgres:\/\/certainty@127\.0\.0\.1:\d+\/certainty$/);

  const directory = await getJson(state.directoryUrl);
  assert.equal(directory.status, 200);
  assert.equal(directory.body['newNonce'], `${state.frontUrl}/acme/new-nonce`);

  await assert.rejects(labUp({ dir, nodes: NODES, basePort }), /a lab is already running in .*certainty lab down --dir/);

  // What `lab down` would see after `lab up` crashed: nothing but lab.json.
  const fresh = await readLab(dir);
  assert.equal(Object.keys(fresh.processes).length, status.processes.length);
  const downStarted = Date.now();
  const { stopped } = await labDown(dir);
  const downMs = Date.now() - downStarted;
  assert.equal(stopped.length, status.processes.length);
  assert.deepEqual(await processesMentioning(dir), []);
  await assert.rejects(readLab(dir), /no lab in/);
  dir = undefined;
  console.log(`lab up ${(upMs / 1000).toFixed(1)} s, lab down ${(downMs / 1000).toFixed(1)} s\n${lines.join('\n')}`);
});
