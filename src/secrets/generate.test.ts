import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateValue, parseGenerator } from './generate.ts';
import { CHARSETS } from './types.ts';

test('generateValue: the length asked, only characters of the charset', () => {
  for (const charset of Object.keys(CHARSETS) as Array<keyof typeof CHARSETS>) {
    const v = generateValue(charset, 200);
    assert.equal(v.length, 200);
    for (const c of v) assert.ok(CHARSETS[charset].includes(c), `${charset}: ${c}`);
  }
});

test('generateValue: shell-safe values hold no shell metacharacter', () => {
  const v = generateValue('shell-safe', 5000);
  assert.doesNotMatch(v, /[$`"'\\ \t\n;&|<>(){}[\]*?!#~]/);
});

test('generateValue: rejection sampling drops bytes past the last whole alphabet', () => {
  // 16 hex characters divide 256: every byte is used, 0x00 → '0', 0xff → 'f'.
  assert.equal(generateValue('hex', 2, () => Buffer.from([0x00, 0xff, 0x00, 0x00])), '0f');
  // 62 alphanumerics: 248 = 4 × 62, so bytes from 248 are skipped.
  assert.equal(generateValue('alphanumeric', 1, () => Buffer.from([250, 1])), 'B');
});

test('parseGenerator: defaults and clear refusals', () => {
  assert.deepEqual(parseGenerator({}), { field: 'value', length: 32, charset: 'shell-safe' });
  assert.throws(() => parseGenerator({ length: 4 }), /from 8 to 4096/);
  assert.throws(() => parseGenerator({ charset: 'emoji' }), /one of shell-safe/);
  assert.throws(() => parseGenerator({ field: '1x' }), /"field"/);
});
