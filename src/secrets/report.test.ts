import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors.ts';
import type { SecretDeps } from './deps.ts';
import { reported } from './report.ts';

/** Deps whose store knows the secrets in `stored`, recording every report. */
function deps(stored: string[]): { deps: SecretDeps; seen: string[] } {
  const seen: string[] = [];
  const store = {
    secret: async (path: string) => (stored.includes(path) ? { path } : undefined),
    list: async (prefix: string, limit: number) => stored.filter((p) => p.startsWith(prefix)).slice(0, limit).map((path) => ({ path, currentVersion: 1, updatedAt: 0 })),
  };
  const report = { secretOperation: (mount: string, op: string, outcome: string) => seen.push(`${mount} ${op} ${outcome}`) };
  return { deps: { store, report } as unknown as SecretDeps, seen };
}

const denied = (): Promise<never> => Promise.reject(new AppError('unauthorized', 'no policy'));

test('a success is counted under its mount, the first path segment', async () => {
  const d = deps([]);
  assert.equal(await reported(d.deps, 'write', 'cluster/db/password', async () => 7), 7);
  assert.deepEqual(d.seen, ['cluster write success']);
});

test('a denial or failure names a mount only when a stored secret lives under it', async () => {
  const d = deps(['cluster/db/password', 'single']);
  await assert.rejects(reported(d.deps, 'read', 'cluster/other', denied), /no policy/);
  await assert.rejects(reported(d.deps, 'read', 'guess-123/x', denied));
  await assert.rejects(reported(d.deps, 'read', 'clusterfoo/x', () => Promise.reject(new AppError('notFound', 'none'))));
  await assert.rejects(reported(d.deps, 'write', 'single', () => Promise.reject(new Error('boom'))));
  await assert.rejects(reported(d.deps, 'read', '../etc', denied));
  assert.deepEqual(d.seen, ['cluster read denied', 'other read denied', 'other read failed', 'single write failed', 'other read denied']);
});

test('without a report the operation runs untouched', async () => {
  const { deps: d } = deps([]);
  assert.equal(await reported({ ...d, report: undefined }, 'read', 'a/b', async () => 'v'), 'v');
});
