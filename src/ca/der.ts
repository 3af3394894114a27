/**
 * Just enough DER (X.690) to read and write the few structures @peculiar/x509 does not model
 * the way we need: subjectAltName entries, the CRL number and the acmeIdentifier value.
 * Only single-byte tags and definite lengths, which is all DER allows for these types.
 */

const TAG_INTEGER = 0x02;
export const TAG_OCTET_STRING = 0x04;
export const TAG_BIT_STRING = 0x03;
export const TAG_SEQUENCE = 0x30;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;

export interface DerElement {
  tag: number;
  /** Offset of the tag byte in the buffer it was read from. */
  start: number;
  /** The contents octets. */
  value: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

/** Reads one TLV at `offset`. Throws a plain Error on truncated or non-DER length encodings. */
export function readDer(bytes: Uint8Array, offset = 0): DerElement {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('DER: truncated element header');
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not supported');
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new Error('DER: indefinite length is not allowed');
    if (count > 4) throw new Error('DER: length too large');
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[offset + 2 + i];
      if (b === undefined) throw new Error('DER: truncated length');
      length = length * 256 + b;
    }
    if (length < 0x80 || bytes[offset + 2] === 0) throw new Error('DER: length is not minimally encoded');
    header += count;
  }
  const contentStart = offset + header;
  const end = contentStart + length;
  if (end > bytes.length) throw new Error('DER: element runs past the end of the data');
  return { tag, start: offset, value: bytes.subarray(contentStart, end), end };
}

/** Reads exactly one element spanning all of `bytes` (no trailing data). */
export function readDerExact(bytes: Uint8Array): DerElement {
  const element = readDer(bytes, 0);
  if (element.end !== bytes.length) throw new Error('DER: unexpected trailing data');
  return element;
}

/** The elements inside a constructed value (e.g. a SEQUENCE's contents). */
export function readDerChildren(contents: Uint8Array): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = 0; offset < contents.length; ) {
    const child = readDer(contents, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

export function encodeDer(tag: number, contents: Uint8Array): Uint8Array {
  const n = contents.length;
  let header: number[];
  if (n < 0x80) {
    header = [tag, n];
  } else {
    const lengthBytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
    header = [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  }
  const out = new Uint8Array(header.length + n);
  out.set(header, 0);
  out.set(contents, header.length);
  return out;
}

export function encodeDerSequence(items: Uint8Array[]): Uint8Array {
  return encodeDer(TAG_SEQUENCE, concatBytes(items));
}

/** An INTEGER holding the unsigned big-endian `magnitude`, minimally encoded. */
export function encodeDerUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const digits = magnitude.length === 0 ? new Uint8Array([0]) : magnitude.subarray(i);
  // A leading byte with the top bit set would read as negative: prefix a zero byte.
  return encodeDer(TAG_INTEGER, (digits[0] ?? 0) >= 0x80 ? concatBytes([new Uint8Array([0]), digits]) : digits);
}

/** A non-negative INTEGER. */
export function encodeDerInteger(value: bigint): Uint8Array {
  if (value < 0n) throw new Error('DER: negative integers are not supported');
  const hex = value.toString(16);
  return encodeDerUnsignedInteger(Uint8Array.from(Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex')));
}

/** RFC 5280 §4.1.2.5 Time: UTCTime through 2049, GeneralizedTime from 2050, whole seconds, Zulu. */
export function encodeDerTime(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new Error(`DER: cannot encode year ${year}`);
  return year < 2050
    ? encodeDer(TAG_UTC_TIME, Buffer.from(digits.slice(2), 'ascii'))
    : encodeDer(TAG_GENERALIZED_TIME, Buffer.from(digits, 'ascii'));
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
