import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { envFile, shellQuote } from './env.ts';

test('shellQuote: single quotes, with embedded single quotes closed, escaped and reopened', () => {
  assert.equal(shellQuote('plain'), "'plain'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('$HOME `id` "x" \\n'), '\'$HOME `id` "x" \\n\'');
  assert.equal(shellQuote(''), "''");
});

test('envFile: one NAME=\'value\' line per field, prefixed; names that are not shell names are refused', () => {
  assert.equal(envFile({ user: 'repmgr', password: "a'b\nc" }, 'DB_'), "DB_user='repmgr'\nDB_password='a'\\''b\nc'\n");
  assert.throws(() => envFile({ 'a.b': 'x' }), /not a shell variable name/);
  assert.throws(() => envFile({ x: 'y' }, '1'), /not a shell variable name/);
});
