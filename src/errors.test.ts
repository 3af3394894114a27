import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS, type ErrorCode } from './errors.ts';
import { toProblem } from './http/problem.ts';
import { AppError } from './errors.ts';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

test('every error code is documented with its type and status', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    assert.ok(row, `docs/errors.md has no row for ${code}`);
    assert.ok(row.includes(spec.type), `${code}: type ${spec.type} not in its row`);
    assert.ok(row.includes(`| ${spec.status} |`), `${code}: status ${spec.status} not in its row`);
  }
});

test('internal errors become serverInternal with a generic detail', () => {
  const { problem, internal } = toProblem(new Error('password=hunter2 at db'));
  assert.equal(internal, true);
  assert.equal(problem.type, 'urn:ietf:params:acme:error:serverInternal');
  assert.doesNotMatch(problem.detail, /hunter2/);
});

test('subproblems carry their own types and identifiers', () => {
  const code: ErrorCode = 'rejectedIdentifier';
  const { problem } = toProblem(new AppError(code, 'two bad', { subproblems: [{ code: 'malformed', detail: 'x', identifier: { type: 'dns', value: 'a' } }] }));
  assert.equal(problem.subproblems?.[0]?.type, 'urn:ietf:params:acme:error:malformed');
  assert.deepEqual(problem.subproblems?.[0]?.identifier, { type: 'dns', value: 'a' });
});
