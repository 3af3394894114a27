import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { LATEST_SCHEMA } from './migrations.ts';
import { MIGRATIONS } from './schema.ts';

// The ledger records ids and the schema version is the highest one applied, so a gap or a
// migration listed out of order would make "applied" counts and upgrades disagree.
test('migrations are numbered 1, 2, 3 … in the order they run, with unique names', () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.id), MIGRATIONS.map((_, i) => i + 1));
  assert.equal(LATEST_SCHEMA, MIGRATIONS.length);
  assert.equal(new Set(MIGRATIONS.map((m) => m.name)).size, MIGRATIONS.length);
});
