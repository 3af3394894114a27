import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { Keyring } from '../kek/envelope.ts';
import { LocalKek } from '../kek/kek.ts';
import { hashFile, readArchive, writeArchive, type Authenticate } from './archive.ts';
import { FORMAT, FORMAT_VERSION, MANIFEST_NAME, SEAL_NAME, type Manifest } from './manifest.ts';
import { sealManifest, verifySeal } from './seal.ts';
import { END_OF_ARCHIVE, fileHeader, padding } from './tar.ts';

const dir = await mkdtemp(join(tmpdir(), 'certainty-archive-test-'));
after(() => rm(dir, { recursive: true, force: true }));

const keyring = new Keyring(new LocalKek(randomBytes(32), 'the test KEK'));
const authenticateWith = (k: Keyring): Authenticate => async (_manifest, json, seal) => verifySeal(k, json, seal, { archive: 'the archive', kekSource: 'the test KEK' });
const authenticate = authenticateWith(keyring);
const seal = (json: Buffer): Buffer => sealManifest(keyring, json);
const workDir = (): Promise<string> => mkdtemp(join(dir, 'work-'));

function manifestFor(payload: { size: number; sha256: string }): Manifest {
  return {
    format: FORMAT, formatVersion: FORMAT_VERSION, certaintyVersion: '0.0.0', schemaVersion: 1, dialect: 'sqlite', createdAt: new Date(0).toISOString(),
    nodeId: null, source: 'test', kek: { check: 'AAAA', salt: null }, tables: { settings: 1 },
    payload: { name: 'certainty.db', encoding: 'sqlite3', ...payload },
  };
}

async function fixture(name: string): Promise<{ out: string; manifest: Manifest; payload: Buffer }> {
  const payload = Buffer.from('SQLite format 3\0'.padEnd(5000, 'x'));
  const payloadPath = join(dir, `${name}.payload`);
  await writeFile(payloadPath, payload);
  const manifest = manifestFor(await hashFile(payloadPath));
  const out = join(dir, `${name}.certainty`);
  await writeArchive(out, manifest, seal, payloadPath, false);
  return { out, manifest, payload };
}

/** Rewrites the first `from` in an archive's manifest member, keeping its length and its MAC. */
async function editManifest(out: string, from: string, to: string): Promise<void> {
  assert.equal(from.length, to.length);
  const tar = gunzipSync(await readFile(out));
  const at = 512 + tar.subarray(512, 512 + 2000).toString('latin1').indexOf(from);
  tar.write(to, at, 'latin1');
  // The tar header checksum does not cover the data, so only the manifest changed.
  await writeFile(out, gzipSync(tar));
}

/** Bytes of every file in a directory: what an extraction wrote there. */
async function bytesIn(path: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(path)) total += (await stat(join(path, name))).size;
  return total;
}

test('an archive round-trips with its MAC and refuses to be overwritten', async () => {
  const { out, manifest, payload } = await fixture('round');
  const opened = await readArchive(out, await workDir(), authenticate);
  assert.deepEqual(opened.manifest, manifest);
  assert.equal(opened.kekId, keyring.current.id);
  assert.deepEqual(await readFile(opened.payloadPath), payload);
  await assert.rejects(writeArchive(out, manifest, seal, join(dir, 'round.payload'), false), /already exists/);
});

test('a newer format is refused by name, not as damage, and format 1 (no MAC) is refused', async () => {
  const { out } = await fixture('newer');
  await editManifest(out, '"formatVersion": 2', '"formatVersion": 9');
  await assert.rejects(readArchive(out, await workDir(), authenticate), /cannot be restored: it is format version 9, newer than this Certainty reads/);
  await editManifest(out, '"formatVersion": 9', '"formatVersion": 1');
  await assert.rejects(readArchive(out, await workDir(), authenticate), /cannot be restored: it is format version 1, written before archives carried a MAC/);
});

test('an altered manifest is refused as not authentic before any payload is extracted', async () => {
  const { out } = await fixture('altered');
  await editManifest(out, '"settings": 1', '"settings": 7');
  const work = await workDir();
  await assert.rejects(readArchive(out, work, authenticate), /^SealError: the archive the archive is not authentic: its manifest does not match its MAC under KEK [0-9a-f]{16}, which is configured/);
  assert.deepEqual(await readdir(work), []);
  const manifest = Buffer.from(JSON.stringify(manifestFor({ size: 5, sha256: '0'.repeat(64) })));
  const unsealed = await rawArchive('unsealed.certainty', [...member(MANIFEST_NAME, manifest), ...member('certainty.db', Buffer.from('hello')), END_OF_ARCHIVE]);
  await assert.rejects(readArchive(unsealed, work, authenticate), /is not authentic: it carries no MAC \(its second member is certainty.db, not manifest.mac\)/);
  assert.deepEqual(await readdir(work), []);
});

test('another KEK is reported as the wrong KEK, with both ids; the previous KEK of a rotation opens it', async () => {
  const { out } = await fixture('other-kek');
  const other = new LocalKek(randomBytes(32), 'another KEK');
  await assert.rejects(
    readArchive(out, await workDir(), authenticateWith(new Keyring(other))),
    new RegExp(`the test KEK does not open this backup: it was made under KEK ${keyring.current.id}, and the test KEK is KEK ${other.id}\\. Nothing was written`),
  );
  const opened = await readArchive(out, await workDir(), authenticateWith(new Keyring(other, keyring.current)));
  assert.equal(opened.kekId, keyring.current.id);
});

/** Writes a gzip'd tar of `parts` (each a buffer, or a count of zero bytes produced 1 MiB at a time). */
async function rawArchive(name: string, parts: Array<Buffer | number>): Promise<string> {
  async function* bytes(): AsyncGenerator<Buffer> {
    const mib = Buffer.alloc(1024 * 1024);
    for (const part of parts) {
      if (Buffer.isBuffer(part)) yield part;
      else for (let left = part; left > 0; left -= mib.length) yield mib.subarray(0, Math.min(left, mib.length));
    }
  }
  const out = join(dir, name);
  await pipeline(bytes(), createGzip(), createWriteStream(out));
  return out;
}

const member = (name: string, data: Buffer): Buffer[] => [fileHeader(name, data.length, 0), data, padding(data.length)];
const BOMB = 64 * 1024 * 1024;

test('decompression bombs: no more than the authenticated size reaches the work directory', async () => {
  const small = Buffer.alloc(1024);
  const manifest = Buffer.from(JSON.stringify(manifestFor({ size: small.length, sha256: createHash('sha256').update(small).digest('hex') })));
  const head = [...member(MANIFEST_NAME, manifest), ...member(SEAL_NAME, seal(manifest))];
  const cases: Array<[string, Array<Buffer | number>, RegExp]> = [
    // The tar header claims 64 MiB of zeros where the authenticated manifest says 1 KiB.
    ['header.certainty', [...head, fileHeader('certainty.db', BOMB, 0), BOMB, END_OF_ARCHIVE], /its payload member is 67108864 bytes where its manifest says 1024/],
    // A well-formed archive followed by 64 MiB of zeros after its end.
    ['trailer.certainty', [...head, ...member('certainty.db', small), END_OF_ARCHIVE, BOMB], /data after its end/],
    // A forged manifest declaring the 64 MiB, with the MAC of the genuine one.
    ['forged.certainty', [...member(MANIFEST_NAME, Buffer.from(JSON.stringify(manifestFor({ size: BOMB, sha256: '0'.repeat(64) })))), ...member(SEAL_NAME, seal(manifest)), fileHeader('certainty.db', BOMB, 0), BOMB, END_OF_ARCHIVE], /not authentic/],
  ];
  for (const [name, parts, message] of cases) {
    const path = await rawArchive(name, parts);
    const work = await workDir();
    await assert.rejects(readArchive(path, work, authenticate), message, name);
    assert.ok((await bytesIn(work)) <= small.length, `${name}: ${await bytesIn(work)} bytes written`);
  }
});

test('a payload larger than the free space of the work directory is refused before it is written', async () => {
  const manifest = Buffer.from(JSON.stringify(manifestFor({ size: 2 ** 52, sha256: '0'.repeat(64) })));
  const path = await rawArchive('huge.certainty', [...member(MANIFEST_NAME, manifest), ...member(SEAL_NAME, seal(manifest)), fileHeader('certainty.db', 2 ** 52, 0)]);
  const work = await workDir();
  await assert.rejects(readArchive(path, work, authenticate), /cannot be restored: its payload is 4503599627370496 bytes and .* bytes free; point TMPDIR at a directory with room for it/);
  assert.deepEqual(await readdir(work), []);
});
