import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { MANIFEST_NAME, ManifestError, parseManifest, SEAL_NAME, type Manifest } from './manifest.ts';
import { notAuthentic, SEAL_MAX_BYTES, SealError } from './seal.ts';
import { END_OF_ARCHIVE, fileHeader, padding, readTar, type TarEntry } from './tar.ts';

/**
 * An archive is a gzip'd ustar holding `manifest.json`, its MAC `manifest.mac` and then one
 * payload (the SQLite snapshot or the pg_dump). gzip's CRC covers every byte; the manifest lists
 * the payload's size and SHA-256, and the MAC, keyed by the KEK, covers the manifest.
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

function* member(name: string, data: Buffer, mtimeMs: number): Generator<Buffer> {
  yield fileHeader(name, data.length, mtimeMs);
  yield data;
  yield padding(data.length);
}

async function* tarStream(manifestJson: Buffer, seal: Buffer, payloadName: string, payloadPath: string, mtimeMs: number): AsyncGenerator<Buffer> {
  yield* member(MANIFEST_NAME, manifestJson, mtimeMs);
  yield* member(SEAL_NAME, seal, mtimeMs);
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
 * complete, so a crash never leaves a half-written file under the final name. `seal` makes the
 * MAC member of the manifest's bytes (src/backup/seal.ts).
 */
export async function writeArchive(out: string, manifest: Manifest, seal: (manifestJson: Buffer) => Buffer, payloadPath: string, overwrite: boolean): Promise<void> {
  const partial = `${out}.partial-${process.pid}`;
  const json = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  try {
    await pipeline(
      tarStream(json, seal(json), manifest.payload.name, payloadPath, Date.parse(manifest.createdAt)),
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
  /** The id of the KEK its MAC was checked under. */
  kekId: string;
}

/**
 * Checks the manifest's MAC before any of the payload is read, and returns the id of the KEK it
 * verified under; throws a complete sentence (wrong KEK, or an altered archive).
 */
export type Authenticate = (manifest: Manifest, manifestJson: Buffer, seal: Buffer) => Promise<string>;

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
  manifest?: { parsed: Manifest; json: Buffer };
  kekId?: string;
  payload?: { sha256: string; size: number };
  /** The payload file while it is being written, closed on error too. */
  file?: FileSink;
  /** What `authenticate` threw: passed on as it is. */
  refusal?: unknown;
}

type Sink = { write(chunk: Buffer): Promise<void>; end(): Promise<void> };

/** Collects a small member in memory, then hands it on. */
function collect(done: (data: Buffer) => Promise<void>): Sink {
  const parts: Buffer[] = [];
  return { write: async (chunk) => void parts.push(Buffer.from(chunk)), end: () => done(Buffer.concat(parts)) };
}

/** Refuses a payload the work directory has no room for, instead of filling its disk. */
async function requireSpace(workDir: string, size: number): Promise<void> {
  const fs = await statfs(workDir);
  const free = fs.bavail * fs.bsize;
  if (size > free) throw new ManifestError(`its payload is ${size} bytes and ${workDir} has ${free} bytes free; point TMPDIR at a directory with room for it`);
}

function sealSink(path: string, workDir: string, state: Extraction, authenticate: Authenticate): Sink {
  return collect(async (seal) => {
    const manifest = state.manifest as { parsed: Manifest; json: Buffer };
    try {
      state.kekId = await authenticate(manifest.parsed, manifest.json, seal);
    } catch (err) {
      state.refusal = err;
      throw err;
    }
    await requireSpace(workDir, manifest.parsed.payload.size);
  });
}

/**
 * The payload, written to the work directory only once the manifest is authenticated, and only as
 * many bytes as the authenticated manifest declares (the tar header must agree), so a small
 * archive cannot fill the disk.
 */
function payloadSink(entry: TarEntry, manifest: Manifest, workDir: string, state: Extraction): Sink {
  const declared = manifest.payload;
  if (entry.name !== declared.name) throw new Error(`it holds an unexpected member ${entry.name}`);
  if (entry.size !== declared.size) throw new Error(`its payload member is ${entry.size} bytes where its manifest says ${declared.size}`);
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

function entrySink(entry: TarEntry, path: string, workDir: string, state: Extraction, authenticate: Authenticate): Sink {
  if (state.manifest === undefined) {
    if (entry.name !== MANIFEST_NAME || entry.size > MAX_MANIFEST_BYTES) throw new Error(`its first member is ${entry.name}, not ${MANIFEST_NAME}`);
    return collect(async (json) => void (state.manifest = { parsed: parseManifest(json.toString('utf8')), json }));
  }
  if (state.kekId === undefined) {
    if (entry.name !== SEAL_NAME) throw notAuthentic(path, `it carries no MAC (its second member is ${entry.name}, not ${SEAL_NAME})`);
    if (entry.size > SEAL_MAX_BYTES) throw notAuthentic(path, `its MAC member is ${entry.size} bytes, not a MAC`);
    return sealSink(path, workDir, state, authenticate);
  }
  if (state.payload !== undefined) throw new Error(`it holds an unexpected member ${entry.name}`);
  return payloadSink(entry, state.manifest.parsed, workDir, state);
}

/**
 * Reads `path`, extracting the payload into `workDir`, and checks it: gzip CRC, tar checksums,
 * the manifest and its MAC (before any payload byte is written), and the payload's size and
 * SHA-256. Throws one sentence naming what is wrong.
 */
export async function readArchive(path: string, workDir: string, authenticate: Authenticate): Promise<OpenedArchive> {
  const state: Extraction = {};
  const input = createReadStream(path);
  try {
    const gunzip = createGunzip();
    input.on('error', (err) => gunzip.destroy(err));
    await readTar(input.pipe(gunzip), (entry) => entrySink(entry, path, workDir, state, authenticate));
  } catch (err) {
    input.destroy();
    state.file?.destroy();
    if (err instanceof SealError || (state.refusal !== undefined && err === state.refusal)) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES') throw new Error(`cannot read the archive ${path}: ${e.message}`, { cause: err });
    if (err instanceof ManifestError) throw new Error(`the archive ${path} cannot be restored: ${e.message}`, { cause: err });
    throw new Error(`the archive ${path} is damaged or not a Certainty backup: ${e.message}`, { cause: err });
  }
  const { manifest, kekId, payload } = state;
  if (manifest === undefined || kekId === undefined) throw new Error(`the archive ${path} is incomplete: it has no manifest and MAC`);
  if (payload === undefined) throw new Error(`the archive ${path} is incomplete: it has no payload`);
  if (payload.sha256 !== manifest.parsed.payload.sha256) {
    throw new Error(
      `the archive ${path} is damaged: the payload's SHA-256 checksum does not match its manifest (expected ${manifest.parsed.payload.sha256}; found ${payload.sha256}); use another backup`,
    );
  }
  return { path, manifest: manifest.parsed, payloadPath: join(workDir, manifest.parsed.payload.name), kekId };
}
