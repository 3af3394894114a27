import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeDer, encodeDerInteger, encodeDerTime, encodeDerUnsignedInteger, readDer, readDerChildren, readDerExact } from './der.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('INTEGER encoding is minimal and positive', () => {
  assert.equal(hex(encodeDerInteger(0n)), '020100');
  assert.equal(hex(encodeDerInteger(127n)), '02017f');
  assert.equal(hex(encodeDerInteger(128n)), '02020080');
  assert.equal(hex(encodeDerInteger(256n)), '02020100');
  assert.equal(hex(encodeDerUnsignedInteger(new Uint8Array([0, 0, 0x80]))), '02020080');
  assert.throws(() => encodeDerInteger(-1n), /negative/);
});

test('Time is UTCTime before 2050 and GeneralizedTime from 2050, in whole seconds', () => {
  assert.equal(Buffer.from(encodeDerTime(new Date('2026-03-01T12:34:56.789Z'))).subarray(2).toString(), '260301123456Z');
  assert.equal(encodeDerTime(new Date('2026-03-01T00:00:00Z'))[0], 0x17);
  const g = encodeDerTime(new Date('2050-01-01T00:00:00Z'));
  assert.equal(g[0], 0x18);
  assert.equal(Buffer.from(g).subarray(2).toString(), '20500101000000Z');
});

test('long lengths round-trip; malformed input throws plain Errors', () => {
  const big = encodeDer(0x04, new Uint8Array(300));
  assert.equal(hex(big.subarray(0, 4)), '0482012c');
  assert.equal(readDerExact(big).value.length, 300);
  const seq = encodeDer(0x30, new Uint8Array([...encodeDerInteger(1n), ...encodeDerInteger(2n)]));
  assert.deepEqual(readDerChildren(readDerExact(seq).value).map((c) => hex(c.value)), ['01', '02']);
  assert.throws(() => readDer(new Uint8Array([0x30])), /truncated/);
  assert.throws(() => readDer(new Uint8Array([0x30, 0x80, 0, 0])), /indefinite/);
  assert.throws(() => readDer(new Uint8Array([0x04, 0x81, 0x05, 1, 2, 3, 4, 5])), /minimally/);
  assert.throws(() => readDer(new Uint8Array([0x04, 0x05, 1])), /past the end/);
  assert.throws(() => readDerExact(new Uint8Array([0x05, 0x00, 0x00])), /trailing/);
});
