import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkData, checkPath, checkPrefix, MAX_VALUE_BYTES } from './path.ts';

test('secret paths: plain names pass, traversal, empty segments, control characters and long paths are refused', () => {
  assert.equal(checkPath('cluster/db/replication'), 'cluster/db/replication');
  assert.equal(checkPath('a.b-c_d@e+f=g,h:i'), 'a.b-c_d@e+f=g,h:i');
  for (const [bad, why] of [
    ['', /required/], ['a/../b', /"\.\." segment/], ['..', /"\.\." segment/], ['./a', /"\." segment/], ['/a', /empty segment/], ['a/', /empty segment/],
    ['a//b', /empty segment/], ['a\nb', /control/], ['a\u0000b', /control/], ['a\u007fb', /control/], ['a b', /character outside/], ['a/$(id)', /character outside/],
    ['x'.repeat(513), /at most 512/], [`${'x'.repeat(129)}/a`, /at most 128/],
  ] as const) assert.throws(() => checkPath(bad), why, JSON.stringify(bad));
});

test('listing prefixes: empty, a path, or a path ending in "/"', () => {
  assert.equal(checkPrefix(''), '');
  assert.equal(checkPrefix('cluster/'), 'cluster/');
  assert.throws(() => checkPrefix('cluster//'), /empty segment/);
});

test('secret data: string fields under the size cap, clear errors otherwise', () => {
  assert.deepEqual(checkData({ password: 'p$`"\' \n' }), { password: 'p$`"\' \n' });
  assert.throws(() => checkData('x'), /must be an object/);
  assert.throws(() => checkData({}), /at least one field/);
  assert.throws(() => checkData({ '1x': 'a' }), /field name/);
  assert.throws(() => checkData({ a: 1 }), /must be a string/);
  assert.throws(() => checkData({ a: 'x\u0000' }), /NUL/);
  assert.throws(() => checkData({ a: 'x'.repeat(MAX_VALUE_BYTES) }), /at most 65536 bytes/);
});
