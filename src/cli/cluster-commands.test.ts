import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaseInfo } from '../cluster/leases.ts';
import { nodeInfo } from '../cluster/nodes.ts';
import { renderClusterStatus } from './cluster-commands.ts';

const now = Date.parse('2026-12-02T12:00:00Z');

test('cluster status shows a free lease as "-" and ages in words: no negative or raw-seconds figures', () => {
  const node = nodeInfo({ id: 'node-a', instance: 'i', version: '1', address: '10.0.0.1:8443', status: 'up', startedAt: now - 9e6, lastSeen: now - 2_683_700, ageMs: 2_683_700 });
  const text = renderClusterStatus({
    nodes: [{ ...node, leases: ['scheduler'] }],
    leases: [
      // Released: holder NULL, expires_at 0, so "expires in" was minus the epoch.
      leaseInfo({ name: 'audit', holder: null, token: 4, expiresAt: 0, expiresInMs: -now }),
      leaseInfo({ name: 'scheduler', holder: 'node-a', token: 7, expiresAt: now + 8000, expiresInMs: 8000 }),
    ],
    queue: { queued: 0, running: 1, failed: 0, done: 12 },
  });
  assert.match(text, /node-a\s+down\s+10\.0\.0\.1:8443\s+1\s+45 min ago\s+scheduler/);
  assert.match(text, /^audit\s+-\s+4\s+-$/m);
  assert.match(text, /^scheduler\s+node-a\s+7\s+in 8 s$/m);
  assert.doesNotMatch(text, /-\d/, 'no negative figure');
  assert.doesNotMatch(text, /\d+\.\d+ s|\d{3,} s/, 'no raw seconds');
});
