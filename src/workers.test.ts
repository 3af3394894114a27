import * as assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { loadNodeId } from './cluster/node-id.ts';
import { loadConfig } from './config/load.ts';
import { workerCount } from './workers.ts';
import { makeTempDir, removeDir } from '../test/support/tmp.ts';

test('server.workers: unset is one process, a number is that many, auto is the CPUs available', () => {
  assert.equal(workerCount(loadConfig({ env: {} }).server.workers), 1);
  assert.equal(workerCount(loadConfig({ env: { CERTAINTY_WORKERS: '3' } }).server.workers), 3);
  assert.equal(workerCount(loadConfig({ env: {}, overrides: [['server.workers', 'auto']] }).server.workers), availableParallelism());
  assert.throws(() => loadConfig({ env: { CERTAINTY_WORKERS: '0' } }), /server\.workers/);
  assert.throws(() => loadConfig({ env: { CERTAINTY_WORKERS: 'many' } }), /server\.workers: expected a number of processes from 1 to 256, or "auto"/);
});

test('a worker is node <id>-w<i> of the data directory, the same on every start', async () => {
  const dir = await makeTempDir('node-id');
  try {
    const id = loadNodeId(dir);
    assert.equal(loadNodeId(dir, 2), `${id}-w2`);
    assert.equal(loadNodeId(dir, 2), `${id}-w2`);
    assert.notEqual(loadNodeId(dir, 1), loadNodeId(dir, 2));
  } finally {
    await removeDir(dir);
  }
});
