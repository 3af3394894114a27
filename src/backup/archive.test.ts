import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { hashFile, readArchive, writeArchive } from './archive.ts';
import { FORMAT, FORMAT_VERSION, type Manifest } from './manifest.ts';

const dir = await mkdtemp(join(tmpdir(), 'certainty-archive-test-'));
after(() => rm(dir, { recursive: true, force: true }));

async function fixture(name: string): Promise<{ out: string; manifest: Manifest; payload: Buffer }> {
  const payload = Buffer.from('SQLite format 3\0'.padEnd(5000, 'x'));
  const payloadPath = join(dir, `${name}.payload`);
  await writeFile(payloadPath, payload);
  const manifest: Manifest = {
    format: FORMAT, formatVersion: FORMAT_VERSION, certaintyVersion: '0.0.0', schemaVersion: 1, dialect: 'sqlite', createdAt: new Date(0).toISOString(),
    nodeId: null, source: 'test', kekVerifier: 'a'.repeat(64), tables: { settings: 1 },
    payload: { name: 'certainty.db', encoding: 'sqlite3', ...(await hashFile(payloadPath)) },
  };
  const out = join(dir, `${name}.certainty`);
  await writeArchive(out, manifest, payloadPath, false);
  return { out, manifest, payload };
}

test('an archive round-trips and refuses to be overwritten', async () => {
  const { out, manifest, payload } = await fixture('round');
  const work = await mkdtemp(join(dir, 'work-'));
  const opened = await readArchive(out, work);
  assert.deepEqual(opened.manifest, manifest);
  assert.deepEqual(await readFile(opened.payloadPath), payload);
  await assert.rejects(writeArchive(out, manifest, join(dir, 'round.payload'), false), /already exists/);
});

test('a newer format is refused by name, not as damage', async () => {
  const { out } = await fixture('newer');
  const tar = gunzipSync(await readFile(out));
  const text = tar.subarray(512, 512 + 2000).toString('latin1');
  const at = 512 + text.indexOf('"formatVersion": 1');
  tar.write('"formatVersion": 9', at, 'latin1');
  // The tar header checksum does not cover the data, so only the manifest changed.
  await writeFile(out, gzipSync(tar));
  await assert.rejects(readArchive(out, await mkdtemp(join(dir, 'work-'))), /cannot be restored: it is format version 9, newer than this Certainty reads/);
});
