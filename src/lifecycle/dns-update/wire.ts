/**
 * The few pieces of the DNS wire format (RFC 1035) that dynamic updates and their checks need:
 * names, resource records, queries, and reading a response back. Names are written uncompressed
 * and in lowercase (RFC 8945 §4.3.3 wants the canonical form for the TSIG key and algorithm).
 */

export const TYPE = { SOA: 6, TXT: 16, TSIG: 250 } as const;
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;
export const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED',
  6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE',
  16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC',
};

/** `name` without its trailing dot, in lowercase ("" for the root). */
export function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export function encodeName(name: string): Buffer {
  const labels = normalName(name).split('.').filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63) throw new Error(`DNS label "${label.slice(0, 70)}" is longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new Error(`DNS name ${name.slice(0, 80)}… is longer than 255 bytes`);
  return out;
}

export interface Header {
  id: number;
  /** QR, opcode, AA, TC, RD, RA and the RCODE's low 4 bits, as on the wire. */
  flags: number;
  counts: [number, number, number, number];
}

export function encodeHeader(h: Header): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(h.id, 0);
  b.writeUInt16BE(h.flags, 2);
  h.counts.forEach((c, i) => b.writeUInt16BE(c, 4 + 2 * i));
  return b;
}

export const opcodeFlags = (opcode: number, recursionDesired = false): number => (opcode << 11) | (recursionDesired ? 0x0100 : 0);

/** A question (or, in an UPDATE, the zone section's entry). */
export function encodeQuestion(name: string, type: number, cls: number = CLASS.IN): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(cls, 2);
  return Buffer.concat([encodeName(name), tail]);
}

export function encodeRecord(name: string, type: number, cls: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(cls, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([encodeName(name), fixed, rdata]);
}

/** TXT RDATA holding one string (an ACME dns-01 value is 43 bytes). */
export function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 255) throw new Error('a TXT string is at most 255 bytes');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

export interface ResourceRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  /** Where the record starts in the message (TSIG verification signs what comes before it). */
  offset: number;
  /** Where its RDATA starts, and the RDATA itself. */
  rdataOffset: number;
  rdata: Buffer;
}

export interface Message {
  header: Header;
  opcode: number;
  /** The 4-bit header RCODE. */
  rcode: number;
  authoritative: boolean;
  truncated: boolean;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

/** Reads a possibly compressed name at `offset`; returns it and the offset after it. */
export function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next: number | undefined;
  for (let hops = 0; hops < 128; hops++) {
    const len = byteAt(msg, pos);
    if (len === 0) return { name: labels.join('.'), next: next ?? pos + 1 };
    if ((len & 0xc0) === 0xc0) {
      next ??= pos + 2;
      pos = ((len & 0x3f) << 8) | byteAt(msg, pos + 1);
      continue;
    }
    if (pos + 1 + len > msg.length) throw new Error('DNS message: a name runs past the end');
    labels.push(msg.subarray(pos + 1, pos + 1 + len).toString('ascii').toLowerCase());
    pos += 1 + len;
  }
  throw new Error('DNS message: a name has too many labels or a compression loop');
}

function byteAt(msg: Buffer, pos: number): number {
  const b = msg[pos];
  if (b === undefined) throw new Error('DNS message: truncated');
  return b;
}

function readRecord(msg: Buffer, offset: number): { rr: ResourceRecord; next: number } {
  const { name, next } = readName(msg, offset);
  if (next + 10 > msg.length) throw new Error('DNS message: a record runs past the end');
  const rdlen = msg.readUInt16BE(next + 8);
  const rdataOffset = next + 10;
  if (rdataOffset + rdlen > msg.length) throw new Error('DNS message: a record runs past the end');
  return {
    rr: { name, type: msg.readUInt16BE(next), cls: msg.readUInt16BE(next + 2), ttl: msg.readUInt32BE(next + 4), offset, rdataOffset, rdata: msg.subarray(rdataOffset, rdataOffset + rdlen) },
    next: rdataOffset + rdlen,
  };
}

export function parseMessage(msg: Buffer): Message {
  if (msg.length < 12) throw new Error('DNS message: shorter than its header');
  const flags = msg.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => msg.readUInt16BE(o)) as Header['counts'];
  let pos = 12;
  for (let i = 0; i < counts[0]; i++) pos = readName(msg, pos).next + 4;
  const sections: ResourceRecord[][] = [[], [], []];
  for (const [s, count] of [counts[1], counts[2], counts[3]].entries()) {
    for (let i = 0; i < count; i++) {
      const { rr, next } = readRecord(msg, pos);
      sections[s]?.push(rr);
      pos = next;
    }
  }
  return {
    header: { id: msg.readUInt16BE(0), flags, counts }, opcode: (flags >> 11) & 0xf, rcode: flags & 0xf,
    authoritative: (flags & 0x0400) !== 0, truncated: (flags & 0x0200) !== 0,
    answers: sections[0] ?? [], authority: sections[1] ?? [], additional: sections[2] ?? [],
  };
}

/** The strings of a TXT record's RDATA, joined (RFC 8555 values are one string). */
export function readTxt(rdata: Buffer): string {
  let out = '';
  for (let pos = 0; pos < rdata.length;) {
    const len = rdata[pos] ?? 0;
    out += rdata.subarray(pos + 1, pos + 1 + len).toString('utf8');
    pos += 1 + len;
  }
  return out;
}
