// The SSH wire types of RFC 4251 §5 (byte, boolean, uint32, uint64, string, mpint, name-list) as
// used by OpenSSH's certificate and KRL formats.

/** Builds an SSH wire buffer, one typed field at a time. */
export class SshWriter {
  private readonly parts: Buffer[] = [];

  byte(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }

  bool(v: boolean): this {
    return this.byte(v ? 1 : 0);
  }

  uint32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
    return this;
  }

  uint64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    this.parts.push(b);
    return this;
  }

  /** A length-prefixed byte string (text is written as UTF-8). */
  string(v: Uint8Array | string): this {
    const body = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
    this.uint32(body.length);
    this.parts.push(body);
    return this;
  }

  /** A non-negative integer given as unsigned big-endian bytes, in RFC 4251's two's-complement form. */
  mpint(unsigned: Uint8Array): this {
    return this.string(mpintBytes(unsigned));
  }

  /** Bytes written as they are (an already encoded structure). */
  raw(v: Uint8Array): this {
    this.parts.push(Buffer.from(v));
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** RFC 4251 mpint body: no leading zero bytes, one zero byte added when the high bit is set, empty for 0. */
export function mpintBytes(unsigned: Uint8Array): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  const trimmed = Buffer.from(unsigned.subarray(i));
  if (trimmed.length === 0) return trimmed;
  return (trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

/** Thrown for a buffer that ends early or holds a value out of range; callers turn it into their own error. */
export class SshWireError extends Error {}

/** Reads SSH wire fields in order; every read checks the remaining length. */
export class SshReader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  /** The next `n` bytes as they are. */
  take(n: number): Buffer {
    if (n > this.remaining) throw new SshWireError(`the data ends early (wanted ${n} bytes, ${this.remaining} left)`);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  byte(): number {
    return this.take(1)[0] as number;
  }

  bool(): boolean {
    return this.byte() !== 0;
  }

  uint32(): number {
    return this.take(4).readUInt32BE();
  }

  uint64(): bigint {
    return this.take(8).readBigUInt64BE();
  }

  string(): Buffer {
    return this.take(this.uint32());
  }

  text(): string {
    const b = this.string();
    const s = b.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(b)) throw new SshWireError('a text field is not valid UTF-8');
    return s;
  }

  /** An mpint as unsigned bytes; negative values are refused (no key or signature field is negative). */
  mpint(): Buffer {
    const b = this.string();
    if (b.length > 0 && ((b[0] as number) & 0x80) !== 0) throw new SshWireError('a negative mpint');
    return b[0] === 0 ? b.subarray(1) : b;
  }

  /** The unread rest. */
  rest(): Buffer {
    return this.take(this.remaining);
  }

  /** Fails when bytes are left over: a structure with trailing data is malformed. */
  end(what: string): void {
    if (this.remaining !== 0) throw new SshWireError(`${this.remaining} unexpected bytes after the ${what}`);
  }
}

/** A packed list of strings (certificate principals, KRL key ids). */
export function stringList(values: readonly string[]): Buffer {
  const w = new SshWriter();
  for (const v of values) w.string(v);
  return w.toBuffer();
}

export function readStringList(buf: Buffer): string[] {
  const r = new SshReader(buf);
  const out: string[] = [];
  while (r.remaining > 0) out.push(r.text());
  return out;
}
