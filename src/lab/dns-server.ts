import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { ipToBytes } from '../ca/ip.ts';

/**
 * A tiny authoritative DNS server over UDP for the drills and the tests (in the spirit of Boulder's chall-test-srv):
 * answers A, AAAA, TXT and CAA from an in-memory map, NXDOMAIN for unknown names, NOERROR with no
 * answers (NODATA) for known names without records of the asked type. Wire format per RFC 1035 §4.
 */

/** Records for one name. A TXT record is a string (split into 255-byte chunks) or its chunks. */
export interface TestDnsRecords {
  A?: string[];
  AAAA?: string[];
  TXT?: (string | string[])[];
  /** CAA properties (RFC 8659 §4.1), flags 0 unless given: what the CAA tests publish. */
  CAA?: Array<{ flags?: number; tag: string; value: string }>;
}

/** Records, or a failure to simulate: answer SERVFAIL, or never answer (a timeout). */
export type TestDnsEntry = TestDnsRecords | 'servfail' | 'drop';

export interface TestDnsServer {
  /** "127.0.0.1:<port>", ready for ValidationSettings.dnsServer. */
  readonly address: string;
  set(name: string, entry: TestDnsEntry): void;
  close(): Promise<void>;
}

const TYPE = { A: 1, TXT: 16, AAAA: 28, CAA: 257 } as const;
const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3 } as const;
const TTL = 60;

export interface TestDnsOptions {
  /** UDP port on 127.0.0.1; default an ephemeral one. */
  readonly port?: number;
  /** Answer for names not set (the drills answer 127.0.0.1 for every name); default NXDOMAIN. */
  readonly fallback?: TestDnsEntry;
}

/** Starts the server on 127.0.0.1. */
export async function startTestDnsServer(initial: Record<string, TestDnsEntry> = {}, options: TestDnsOptions = {}): Promise<TestDnsServer> {
  const zone = new Map<string, TestDnsEntry>();
  const set = (name: string, entry: TestDnsEntry): void => {
    zone.set(canonical(name), entry);
  };
  for (const [name, entry] of Object.entries(initial)) set(name, entry);
  const socket = createSocket('udp4');
  socket.on('message', (msg, peer) => answer(socket, zone, msg, peer, options.fallback));
  socket.bind(options.port ?? 0, '127.0.0.1');
  await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([err]) => { throw err as Error; })]);
  return {
    address: `127.0.0.1:${socket.address().port}`,
    set,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function answer(socket: Socket, zone: Map<string, TestDnsEntry>, msg: Buffer, peer: RemoteInfo, fallback: TestDnsEntry | undefined): void {
  const reply = buildReply(zone, msg, fallback);
  if (reply !== undefined) socket.send(reply, peer.port, peer.address);
}

function buildReply(zone: Map<string, TestDnsEntry>, msg: Buffer, fallback: TestDnsEntry | undefined): Buffer | undefined {
  if (msg.length < 12) return undefined;
  const question = parseQuestion(msg);
  if (question === undefined) return header(msg, RCODE.formErr, 0, 0);
  const entry = zone.get(canonical(question.name)) ?? fallback;
  if (entry === 'drop') return undefined;
  if (entry === 'servfail') return Buffer.concat([header(msg, RCODE.servFail, 1, 0), question.raw]);
  if (entry === undefined) return Buffer.concat([header(msg, RCODE.nxDomain, 1, 0), question.raw]);
  const rdatas = recordData(entry, question.qtype);
  const answers = rdatas.map((rdata) => resourceRecord(question.qtype, rdata));
  return Buffer.concat([header(msg, RCODE.noError, 1, answers.length), question.raw, ...answers]);
}

interface Question {
  name: string;
  qtype: number;
  /** The question section exactly as received, echoed in the reply. */
  raw: Buffer;
}

function parseQuestion(msg: Buffer): Question | undefined {
  if ((msg.readUInt16BE(2) & 0x8000) !== 0 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = msg[offset];
    // Queries carry one uncompressed name; pointers (0xC0) or truncation make it malformed.
    if (length === undefined || length > 63) return undefined;
    offset += 1;
    if (length === 0) break;
    if (offset + length > msg.length) return undefined;
    labels.push(msg.toString('latin1', offset, offset + length));
    offset += length;
  }
  if (offset + 4 > msg.length) return undefined;
  return { name: labels.join('.'), qtype: msg.readUInt16BE(offset), raw: msg.subarray(12, offset + 4) };
}

function header(query: Buffer, rcode: number, qdcount: number, ancount: number): Buffer {
  const flags = query.readUInt16BE(2);
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, the query's opcode, AA, the query's RD, RA, rcode.
  out.writeUInt16BE(0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100) | 0x0080 | rcode, 2);
  out.writeUInt16BE(qdcount, 4);
  out.writeUInt16BE(ancount, 6);
  return out;
}

function resourceRecord(type: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // compression pointer to the question's name at offset 12
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(1, 4); // class IN
  fixed.writeUInt32BE(TTL, 6);
  fixed.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([fixed, rdata]);
}

function recordData(records: TestDnsRecords, qtype: number): Buffer[] {
  switch (qtype) {
    case TYPE.A:
      return (records.A ?? []).map((a) => addressBytes(a, 4));
    case TYPE.AAAA:
      return (records.AAAA ?? []).map((a) => addressBytes(a, 16));
    case TYPE.TXT:
      return (records.TXT ?? []).map(txtData);
    case TYPE.CAA:
      return (records.CAA ?? []).map(caaData);
    default:
      return [];
  }
}

function txtData(record: string | string[]): Buffer {
  const chunks = typeof record === 'string' ? splitChunks(Buffer.from(record, 'utf8')) : record.map((c) => Buffer.from(c, 'utf8'));
  if (chunks.some((c) => c.length > 255)) throw new Error('test DNS: a TXT character-string is at most 255 bytes');
  return Buffer.concat(chunks.flatMap((c) => [Buffer.from([c.length]), c]));
}

/** flags, tag length, tag, value (RFC 8659 §4.1). */
function caaData(record: { flags?: number; tag: string; value: string }): Buffer {
  const tag = Buffer.from(record.tag, 'ascii');
  return Buffer.concat([Buffer.from([record.flags ?? 0, tag.length]), tag, Buffer.from(record.value, 'utf8')]);
}

function splitChunks(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks.length === 0 ? [Buffer.alloc(0)] : chunks;
}

function addressBytes(address: string, length: 4 | 16): Buffer {
  const bytes = ipToBytes(address);
  if (bytes.length !== length) throw new Error(`test DNS: ${address} is not a ${length === 4 ? 'A' : 'AAAA'} value`);
  return Buffer.from(bytes);
}

function canonical(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
