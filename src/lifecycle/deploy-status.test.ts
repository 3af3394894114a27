import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeclaredTarget } from './deploy/types.ts';
import { deployStatus, type DeployJobRecord } from './deploy-status.ts';

const file = { type: 'file', certPath: '/etc/x.pem' } as DeclaredTarget;
const verified = { type: 'file', certPath: '/etc/y.pem', verify: { host: '127.0.0.1', port: 443 } } as DeclaredTarget;
const windowed = { type: 'file', certPath: '/etc/z.pem', window: { start: '22:00', end: '02:00' } } as DeclaredTarget;
const job = (over: Partial<DeployJobRecord>): DeployJobRecord => ({
  revision: 2, target: 0, status: 'done', attempts: 1, lastError: undefined, runAt: 100, createdAt: 100, updatedAt: 150, ...over,
});

test('each target shows its newest job: deployed, verified, failed with its error, waiting for its window', () => {
  const now = 1_000;
  const jobs = [
    job({ target: 0, revision: 1, status: 'failed', lastError: 'old', createdAt: 10 }),
    job({ target: 0, createdAt: 100 }),
    job({ target: 1, updatedAt: 170 }),
    job({ target: 2, status: 'done', createdAt: 100 }),
    job({ target: 2, status: 'queued', attempts: 0, runAt: 5_000, createdAt: 120 }),
    job({ target: 3, status: 'queued', attempts: 2, lastError: 'connection refused', runAt: 2_000, createdAt: 100, updatedAt: 900 }),
  ];
  const s = deployStatus([file, verified, windowed, file, file], jobs, now);
  assert.deepEqual(s.map((d) => d.state), ['deployed', 'verified', 'waiting', 'failed', 'none']);
  assert.equal(s[0]?.at, 150);
  assert.match(s[2]?.detail ?? '', /maintenance window \(22:00–02:00\)/);
  assert.equal(s[2]?.at, 5_000);
  assert.match(s[3]?.detail ?? '', /^connection refused; next try 1970-01-01T00:00:02\.000Z$/);
  assert.equal(s[4]?.revision, undefined);
});

test('a job that gave up is failed with its last error and attempts', () => {
  const [d] = deployStatus([file], [job({ status: 'failed', attempts: 5, lastError: 'permission denied' })], 0);
  assert.equal(d?.state, 'failed');
  assert.equal(d?.detail, 'permission denied (gave up after 5 attempts)');
});

test('a kept outcome stands for its pruned job, and a newer job for the target stands before it', () => {
  const kept = job({ revision: 3, createdAt: 500, updatedAt: 600 });
  const [alone] = deployStatus([verified], [kept], 10 * 86_400_000);
  assert.deepEqual([alone?.state, alone?.revision, alone?.at], ['verified', 3, 600]);
  const [after] = deployStatus([verified], [job({ revision: 4, status: 'queued', attempts: 0, runAt: 0, createdAt: 700 }), kept], 1_000);
  assert.deepEqual([after?.state, after?.revision], ['pending', 4]);
});
