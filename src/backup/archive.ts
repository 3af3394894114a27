import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { MANIFEST_NAME, ManifestError, parseManifest, type Manifest } from './manifest.ts';
import { END_OF_ARCHIVE, fileHeader, padding, readTar, type TarEntry } from './tar.ts';

/**
 * An archive is a gzip'd ustar holding `manifest.json` and then one payload (the SQLite snapshot
 * or the pg_dump). gzip's CRC covers every byte; the manifest's SHA-256 covers the payload.
 */

const MAX_MANIFEST_BYTES = 1024 * 1024;

/** SHA-256 (hex) and size of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function* tarStream(manifestJson: Buffer, payloadName: string, payloadPath: string, mtimeMs: number): AsyncGenerator<Buffer> {
  yield fileHeader(MANIFEST_NAME, manifestJson.length, mtimeMs);
  yield manifestJson;
  yield padding(manifestJson.length);
  const { size } = await stat(payloadPath);
  yield fileHeader(payloadName, size, mtimeMs);
  let written = 0;
  for await (const chunk of createReadStream(payloadPath)) {
    written += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (written !== size) throw new Error(`${payloadPath} changed while it was archived`);
  yield padding(size);
  yield END_OF_ARCHIVE;
}

/**
 * Writes the archive to `out` (mode 0600): to a temporary name beside it first, renamed when
 * complete, so a crash never leaves a half-written file under the final name.
 */
export async function writeArchive(out: string, manifest: Manifest, payloadPath: string, overwrite: boolean): Promise<void> {
  const partial = `${out}.partial-${process.pid}`;
  const json = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  try {
    await pipeline(
      tarStream(json, manifest.payload.name, payloadPath, Date.parse(manifest.createdAt)),
      createGzip(),
      createWriteStream(partial, { mode: 0o600, flags: 'wx' }),
    );
    if (!overwrite && (await stat(out).then(() => true, () => false))) throw new Error(`${out} already exists; choose another --out or pass --force`);
    await rename(partial, out);
  } finally {
    await rm(partial, { force: true });
  }
}

/** An archive read and verified: its manifest and the payload extracted into a work directory. */
export interface OpenedArchive {
  path: string;
  manifest: Manifest;
  payloadPath: string;
}

/** A file written chunk by chunk with backpressure; a write error surfaces on the next call. */
class FileSink {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(path: string) {
    this.stream = createWriteStream(path, { mode: 0o600, flags: 'wx' });
    this.stream.on('error', (err) => void (this.failure ??= err));
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }

  destroy(): void {
    this.stream.destroy();
  }
}

interface Extraction {
  manifest?: Manifest;
  payload?: { sha256: string; size: number };
  /** The payload file while it is being written, closed on error too. */
  file?: FileSink;
}

function entrySink(entry: TarEntry, workDir: string, state: Extraction): { write(chunk: Buffer): Promise<void>; end(): Promise<void> } {
  if (state.manifest === undefined) {
    if (entry.name !== MANIFEST_NAME || entry.size > MAX_MANIFEST_BYTES) throw new Error(`its first member is ${entry.name}, not ${MANIFEST_NAME}`);
    const parts: Buffer[] = [];
    return {
      write: async (chunk) => void parts.push(Buffer.from(chunk)),
      end: async () => void (state.manifest = parseManifest(Buffer.concat(parts).toString('utf8'))),
    };
  }
  if (state.payload !== undefined || entry.name !== state.manifest.payload.name) throw new Error(`it holds an unexpected member ${entry.name}`);
  const hash = createHash('sha256');
  const file = new FileSink(join(workDir, entry.name));
  state.file = file;
  let size = 0;
  return {
    write: async (chunk) => {
      hash.update(chunk);
      size += chunk.length;
      await file.write(chunk);
    },
    end: async () => {
      await file.close();
      state.payload = { sha256: hash.digest('hex'), size };
    },
  };
}

/**
 * Reads `path`, extracting the payload into `workDir`, and checks it: gzip CRC, tar checksums,
 * the manifest, and the payload's size and SHA-256. Throws one sentence naming what is wrong.
 */
export async function readArchive(path: string, workDir: string): Promise<OpenedArchive> {
  const state: Extraction = {};
  const input = createReadStream(path);
  try {
    const gunzip = createGunzip();
    input.on('error', (err) => gunzip.destroy(err));
    await readTar(input.pipe(gunzip), (entry) => entrySink(entry, workDir, state));
  } catch (err) {
    input.destroy();
    state.file?.destroy();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES') throw new Error(`cannot read the archive ${path}: ${e.message}`, { cause: err });
    if (err instanceof ManifestError) throw new Error(`the archive ${path} cannot be restored: ${e.message}`, { cause: err });
    throw new Error(`the archive ${path} is damaged or not a Certainty backup: ${e.message}`, { cause: err });
  }
  const { manifest, payload } = state;
  if (manifest === undefined || payload === undefined) throw new Error(`the archive ${path} is incomplete: it has no payload`);
  if (payload.size !== manifest.payload.size || payload.sha256 !== manifest.payload.sha256) {
    throw new Error(
      `the archive ${path} is damaged: the payload's SHA-256 checksum does not match its manifest (expected ${manifest.payload.sha256}, ${manifest.payload.size} bytes; found ${payload.sha256}, ${payload.size} bytes); use another backup`,
    );
  }
  return { path, manifest, payloadPath: join(workDir, manifest.payload.name) };
}
