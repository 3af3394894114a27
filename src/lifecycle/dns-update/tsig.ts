/**
 * TSIG (RFC 8945): the HMAC a dynamic update is signed with, and the check of the server's
 * signature on its answer. The secret never leaves this file's callers' memory: it is neither
 * logged nor put in an error message.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS, encodeName, encodeRecord, normalName, readName, TYPE, type Message, type ResourceRecord } from './wire.ts';

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha1'] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];
const DIGEST: Record<TsigAlgorithm, string> = { 'hmac-sha256': 'sha256', 'hmac-sha512': 'sha512', 'hmac-sha1': 'sha1' };

/** The clock skew the server may allow (RFC 8945 §5.2.3 recommends 300 s). */
const FUDGE_SECONDS = 300;

export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** The TSIG RDATA fields after the algorithm name. */
export interface TsigFields {
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function uint48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(seconds, 0, 6);
  return b;
}

/** Time signed, fudge: the part of the TSIG variables shared by the MAC input and the RDATA. */
function timers(timeSigned: number, fudge: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(fudge, 0);
  return Buffer.concat([uint48(timeSigned), b]);
}

function errorAndOther(error: number, other: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(error, 0);
  b.writeUInt16BE(other.length, 2);
  return Buffer.concat([b, other]);
}

/** RFC 8945 §4.3.3: key name, class ANY, TTL 0, algorithm, time, fudge, error, other data. */
function variables(keyName: string, f: TsigFields): Buffer {
  const clsTtl = Buffer.alloc(6);
  clsTtl.writeUInt16BE(CLASS.ANY, 0);
  return Buffer.concat([encodeName(keyName), clsTtl, encodeName(f.algorithm), timers(f.timeSigned, f.fudge), errorAndOther(f.error, f.other)]);
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(DIGEST[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

function lengthPrefixed(mac: Buffer): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(mac.length, 0);
  return Buffer.concat([b, mac]);
}

/**
 * Appends a TSIG record to `message` (whose ADCOUNT does not count it yet) and returns the signed
 * message and its MAC, which the response's signature covers.
 */
export function signMessage(message: Buffer, key: TsigKey, timeSigned: number): { signed: Buffer; mac: Buffer } {
  const fields: TsigFields = { algorithm: `${key.algorithm}.`, timeSigned, fudge: FUDGE_SECONDS, mac: Buffer.alloc(0), originalId: message.readUInt16BE(0), error: 0, other: Buffer.alloc(0) };
  const mac = hmac(key, [message, variables(key.name, fields)]);
  const rdata = Buffer.concat([encodeName(fields.algorithm), timers(timeSigned, FUDGE_SECONDS), lengthPrefixed(mac), Buffer.from([fields.originalId >> 8, fields.originalId & 0xff]), errorAndOther(0, fields.other)]);
  const signed = Buffer.concat([message, encodeRecord(key.name, TYPE.TSIG, CLASS.ANY, 0, rdata)]);
  signed.writeUInt16BE(signed.readUInt16BE(10) + 1, 10);
  return { signed, mac };
}

/** The TSIG record of a parsed message (the last additional record), read into its fields. */
export function tsigOf(msg: Buffer, parsed: Message): { rr: ResourceRecord; fields: TsigFields } | undefined {
  const rr = parsed.additional.at(-1);
  if (rr === undefined || rr.type !== TYPE.TSIG) return undefined;
  const { name: algorithm, next } = readName(msg, rr.rdataOffset);
  const macLen = msg.readUInt16BE(next + 8);
  const macEnd = next + 10 + macLen;
  const otherLen = msg.readUInt16BE(macEnd + 4);
  return {
    rr,
    fields: {
      algorithm, timeSigned: msg.readUIntBE(next, 6), fudge: msg.readUInt16BE(next + 6), mac: msg.subarray(next + 10, macEnd),
      originalId: msg.readUInt16BE(macEnd), error: msg.readUInt16BE(macEnd + 2), other: msg.subarray(macEnd + 6, macEnd + 6 + otherLen),
    },
  };
}

/**
 * Whether the response's MAC is the key's signature over the request MAC, the response without
 * its TSIG record (ADCOUNT one less, the original ID) and the TSIG variables (RFC 8945 §5.3).
 */
export function verifyResponse(msg: Buffer, tsig: { rr: ResourceRecord; fields: TsigFields }, key: TsigKey, requestMac: Buffer): boolean {
  if (tsig.rr.name !== normalName(key.name) || normalName(tsig.fields.algorithm) !== key.algorithm) return false;
  const unsigned = Buffer.from(msg.subarray(0, tsig.rr.offset));
  unsigned.writeUInt16BE(tsig.fields.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const expected = hmac(key, [lengthPrefixed(requestMac), unsigned, variables(key.name, tsig.fields)]);
  return expected.length === tsig.fields.mac.length && timingSafeEqual(expected, tsig.fields.mac);
}
