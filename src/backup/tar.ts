/**
 * The smallest POSIX ustar that an archive needs: regular files only, written and read as a
 * stream, so `tar -xzf backup.certainty` opens an archive with standard tools. Sizes beyond the
 * 8 GiB of the octal field use the GNU base-256 form, as GNU tar and bsdtar do.
 */

const BLOCK = 512;

const OCTAL_SIZE_LIMIT = 8 ** 11;

/**
 * Zeros allowed after the end-of-archive blocks: GNU tar pads an archive to a whole record
 * (10 KiB by default, 1 MiB with `-b 2048`). Reading them lets gzip check its CRC at the end;
 * more than that is not padding, and is not decompressed.
 */
const MAX_TRAILING_BYTES = 1024 * 1024;

function writeString(header: Buffer, text: string, offset: number, length: number): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: ${text}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  writeString(header, value.toString(8).padStart(length - 1, '0'), offset, length - 1);
}

function writeSize(header: Buffer, size: number): void {
  if (size < OCTAL_SIZE_LIMIT) {
    writeOctal(header, size, 124, 12);
    return;
  }
  header[124] = 0x80;
  let rest = BigInt(size);
  for (let i = 135; i > 124; i -= 1) {
    header[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** The 512-byte header of a regular file. */
export function fileHeader(name: string, size: number, mtimeMs: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  writeString(header, name, 0, 100);
  writeOctal(header, 0o600, 100, 8);
  writeOctal(header, 0, 108, 8);
  writeOctal(header, 0, 116, 8);
  writeSize(header, size);
  writeOctal(header, Math.floor(mtimeMs / 1000), 136, 12);
  header.fill(0x20, 148, 156);
  header[156] = 0x30; // '0': regular file
  writeString(header, 'ustar', 257, 6);
  writeString(header, '00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

/** Zero bytes that pad `size` to a whole block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export interface TarEntry {
  name: string;
  size: number;
}

function readSize(header: Buffer): number {
  if (((header[124] ?? 0) & 0x80) !== 0) {
    let value = 0n;
    for (let i = 125; i < 136; i += 1) value = (value << 8n) | BigInt(header[i] ?? 0);
    return Number(value);
  }
  const text = header.subarray(124, 136).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(text)) throw new Error('a tar header has an invalid size');
  return Number.parseInt(text, 8);
}

/** Parses a header block; undefined for a zero block (the end of the archive). */
export function parseHeader(header: Buffer): TarEntry | undefined {
  if (header.every((b) => b === 0)) return undefined;
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  const stored = Number.parseInt(header.subarray(148, 156).toString('latin1').replace(/[\0 ]+/g, ''), 8);
  if (stored !== sum) throw new Error('a tar header checksum does not match');
  const type = header[156];
  if (type !== 0x30 && type !== 0) throw new Error('the archive holds something other than regular files');
  // ustar keeps the start of a long path in a prefix field (offset 345). Archives never write one;
  // refusing it beats reading the entry under the wrong name.
  if (header[345] !== 0) throw new Error('a tar header uses the ustar name prefix, which archives never do');
  const end = header.indexOf(0, 0);
  const name = header.subarray(0, end === -1 || end > 100 ? 100 : end).toString('utf8');
  return { name, size: readSize(header) };
}

/**
 * Reads entries from a byte stream. `onEntry` returns a sink for the entry's bytes (awaited, so
 * it can apply backpressure); the stream must end with the end-of-archive blocks.
 */
export async function readTar(
  source: AsyncIterable<Buffer>,
  onEntry: (entry: TarEntry) => { write(chunk: Buffer): Promise<void>; end(): Promise<void> },
): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let sink: ReturnType<typeof onEntry> | undefined;
  let remaining = 0;
  let skip = 0;
  let ended = false;
  let trailing = 0;
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (!ended) {
      if (sink !== undefined) {
        const take = Math.min(remaining, pending.length);
        if (take > 0) await sink.write(pending.subarray(0, take));
        pending = pending.subarray(take);
        remaining -= take;
        if (remaining > 0) break;
        await sink.end();
        sink = undefined;
        continue;
      }
      if (skip > 0) {
        const take = Math.min(skip, pending.length);
        pending = pending.subarray(take);
        skip -= take;
        if (skip > 0) break;
      }
      if (pending.length < BLOCK) break;
      const entry = parseHeader(pending.subarray(0, BLOCK));
      pending = pending.subarray(BLOCK);
      if (entry === undefined) {
        ended = true;
        break;
      }
      sink = onEntry(entry);
      remaining = entry.size;
      skip = padding(entry.size).length;
    }
    if (ended) {
      trailing += pending.length;
      if (trailing > MAX_TRAILING_BYTES || pending.some((b) => b !== 0)) throw new Error('the archive has data after its end');
      pending = Buffer.alloc(0);
    }
  }
  if (!ended) throw new Error('the archive is truncated');
}
