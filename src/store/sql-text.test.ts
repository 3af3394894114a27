import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { isReadOnlyStatement, mapCode, PgStatements, toPgPlaceholders } from './sql-text.ts';

test('placeholders are numbered in code only', () => {
  assert.equal(toPgPlaceholders('SELECT a FROM t WHERE b = ? AND c IN (?, ?)'), 'SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)');
  assert.equal(toPgPlaceholders('SELECT ?'), 'SELECT $1');
  assert.equal(toPgPlaceholders('SELECT 1'), 'SELECT 1');
});

test('a ? inside a string literal is text, also with doubled quotes', () => {
  assert.equal(toPgPlaceholders("UPDATE t SET note = 'why?' WHERE id = ?"), "UPDATE t SET note = 'why?' WHERE id = $1");
  assert.equal(toPgPlaceholders("SELECT 'it''s ? here', ?"), "SELECT 'it''s ? here', $1");
  assert.equal(toPgPlaceholders("SELECT '', ?"), "SELECT '', $1");
});

test('E strings take backslash escapes; plain strings do not', () => {
  assert.equal(toPgPlaceholders("SELECT E'a\\'?', ?"), "SELECT E'a\\'?', $1");
  // standard_conforming_strings: a backslash in a plain literal is a backslash, the quote ends it.
  assert.equal(toPgPlaceholders("SELECT 'a\\', ?"), "SELECT 'a\\', $1");
  // An identifier ending in e is not an E prefix.
  assert.equal(toPgPlaceholders("SELECT code'x\\', ?"), "SELECT code'x\\', $1");
});

test('quoted identifiers, dollar quotes and comments are left alone', () => {
  assert.equal(toPgPlaceholders('SELECT "odd?""name" FROM t WHERE a = ?'), 'SELECT "odd?""name" FROM t WHERE a = $1');
  assert.equal(toPgPlaceholders('SELECT $$ ? $$, $tag$ it\'s ? $ $tag$, ?'), 'SELECT $$ ? $$, $tag$ it\'s ? $ $tag$, $1');
  assert.equal(toPgPlaceholders('SELECT ? -- what?\n, ?'), 'SELECT $1 -- what?\n, $2');
  assert.equal(toPgPlaceholders('SELECT /* a /* nested ? */ still ? */ ?'), 'SELECT /* a /* nested ? */ still ? */ $1');
});

test('a $ inside an identifier or before a digit is not a dollar quote', () => {
  assert.equal(toPgPlaceholders('SELECT a$b, ? FROM t$ WHERE x = ?'), 'SELECT a$b, $1 FROM t$ WHERE x = $2');
  assert.equal(mapCode('select $1 || x, $a$ x $a$', (code) => code.toUpperCase()), 'SELECT $1 || X, $a$ x $a$');
});

test('the jsonb ? operator cannot be written: every ? in code is a placeholder (use jsonb_exists)', () => {
  assert.equal(toPgPlaceholders("SELECT doc ? 'k' FROM t"), "SELECT doc $1 'k' FROM t");
  assert.equal(toPgPlaceholders("SELECT jsonb_exists(doc, 'k?') FROM t WHERE id = ?"), "SELECT jsonb_exists(doc, 'k?') FROM t WHERE id = $1");
});

test('an unterminated literal or comment runs to the end of the text', () => {
  assert.equal(toPgPlaceholders("SELECT ?, 'open ?"), "SELECT $1, 'open ?");
  assert.equal(toPgPlaceholders('SELECT ? /* open ?'), 'SELECT $1 /* open ?');
  assert.equal(toPgPlaceholders('SELECT ?, $x$ open ?'), 'SELECT $1, $x$ open ?');
});

test('mapCode leaves a ; or a keyword inside literals alone', () => {
  const script = "CREATE TABLE t (a BLOB, note TEXT DEFAULT 'BLOB; not a statement'); -- BLOB\nINSERT INTO t (note) VALUES ('x;y')";
  assert.equal(
    mapCode(script, (code) => code.replace(/\bBLOB\b/g, 'BYTEA')),
    "CREATE TABLE t (a BYTEA, note TEXT DEFAULT 'BLOB; not a statement'); -- BLOB\nINSERT INTO t (note) VALUES ('x;y')",
  );
});

test('only a statement starting with SELECT, VALUES or SHOW counts as read-only', () => {
  assert.equal(isReadOnlyStatement('SELECT 1'), true);
  assert.equal(isReadOnlyStatement('  -- comment\n /* INSERT */ select * FROM t'), true);
  assert.equal(isReadOnlyStatement('INSERT INTO t VALUES (1) RETURNING id'), false);
  assert.equal(isReadOnlyStatement("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x"), false);
  assert.equal(isReadOnlyStatement("UPDATE t SET a = 'SELECT'"), false);
  assert.equal(isReadOnlyStatement(''), false);
});

test('PgStatements converts each text once and stays within its capacity', () => {
  const statements = new PgStatements(2);
  const first = statements.get('SELECT ?');
  assert.deepEqual(first, { text: 'SELECT $1', readOnly: true });
  assert.equal(statements.get('SELECT ?'), first);
  statements.get('DELETE FROM t WHERE a = ?');
  statements.get('SELECT ?, ?');
  assert.notEqual(statements.get('SELECT ?'), first, 'the oldest entry was evicted');
});
