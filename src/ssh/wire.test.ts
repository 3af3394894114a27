import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { mpintBytes, SshReader, SshWriter } from './wire.ts';

test('mpints follow RFC 4251 §5: no leading zeros, a zero byte before a set high bit, empty for zero', () => {
  assert.deepEqual(mpintBytes(Buffer.from([0, 0, 0x12, 0x34])), Buffer.from([0x12, 0x34]));
  assert.deepEqual(mpintBytes(Buffer.from([0x80, 0x01])), Buffer.from([0, 0x80, 0x01]));
  assert.deepEqual(mpintBytes(Buffer.from([0, 0])), Buffer.alloc(0));
  // The RFC's own examples: 0x9a378f9b2e332a7 and 0x80.
  assert.deepEqual(new SshWriter().mpint(Buffer.from('09a378f9b2e332a7', 'hex')).toBuffer(), Buffer.from('0000000809a378f9b2e332a7', 'hex'));
  assert.deepEqual(new SshWriter().mpint(Buffer.from([0x80])).toBuffer(), Buffer.from('000000020080', 'hex'));
});

test('every type reads back what was written, and a short buffer is an error, not a wrong value', () => {
  const buf = new SshWriter().byte(7).bool(true).uint32(0xdeadbeef).uint64(2n ** 63n + 5n).string('héllo').mpint(Buffer.from([0xff])).toBuffer();
  const r = new SshReader(buf);
  assert.deepEqual([r.byte(), r.bool(), r.uint32(), r.uint64(), r.text(), r.mpint()], [7, true, 0xdeadbeef, 2n ** 63n + 5n, 'héllo', Buffer.from([0xff])]);
  r.end('test');
  assert.throws(() => new SshReader(Buffer.from([0, 0, 0, 9, 1])).string(), /ends early/);
});
