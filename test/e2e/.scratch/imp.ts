import * as assert from 'node:assert/strict';
export function f(x: string | undefined): string { assert.ok(x); assert.equal(x, 'a'); assert.deepEqual([x], ['a']); return x; }
