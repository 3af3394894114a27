import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeKrl } from './krl.ts';
import { SshReader } from './wire.ts';

test('the KRL header and sections follow PROTOCOL.krl; serials are sorted and de-duplicated', () => {
  const caKey = Buffer.from('ca-key-blob');
  const krl = encodeKrl({ version: 7n, generatedAt: 1_700_000_000n, comment: 'c', cas: [{ caKey, serials: [9n, 3n, 9n], keyIds: ['b', 'a'] }], keys: [Buffer.from('k')] });
  const r = new SshReader(krl);
  assert.equal(r.uint64(), 0x5353484b524c0a00n);
  assert.equal(r.uint32(), 1);
  assert.deepEqual([r.uint64(), r.uint64(), r.uint64()], [7n, 1_700_000_000n, 0n]);
  assert.equal(r.string().length, 0);
  assert.equal(r.text(), 'c');
  assert.equal(r.byte(), 1);
  const section = new SshReader(r.string());
  assert.deepEqual(section.string(), caKey);
  section.string();
  assert.equal(section.byte(), 0x20);
  const serials = new SshReader(section.string());
  assert.deepEqual([serials.uint64(), serials.uint64(), serials.remaining], [3n, 9n, 0]);
  assert.equal(section.byte(), 0x23);
  const ids = new SshReader(section.string());
  assert.deepEqual([ids.text(), ids.text()], ['a', 'b']);
  assert.equal(r.byte(), 2);
  assert.deepEqual(new SshReader(r.string()).string(), Buffer.from('k'));
  r.end('KRL');
});

test('an empty KRL is the header alone, and the same content gives the same bytes', () => {
  const content = { version: 0n, generatedAt: 0n, comment: '', cas: [{ caKey: Buffer.from('x'), serials: [], keyIds: [] }], keys: [] };
  assert.equal(encodeKrl(content).length, 8 + 4 + 8 + 8 + 8 + 4 + 4);
  assert.deepEqual(encodeKrl(content), encodeKrl(content));
});
