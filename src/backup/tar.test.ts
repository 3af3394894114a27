import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { END_OF_ARCHIVE, fileHeader, padding, parseHeader, readTar } from './tar.ts';

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function entries(buf: Buffer, chunkSize: number): Promise<Array<{ name: string; data: string }>> {
  const out: Array<{ name: string; data: string }> = [];
  await readTar(chunks(buf, chunkSize), (entry) => {
    const parts: Buffer[] = [];
    return {
      write: async (c) => void parts.push(Buffer.from(c)),
      end: async () => void out.push({ name: entry.name, data: Buffer.concat(parts).toString() }),
    };
  });
  return out;
}

const member = (name: string, text: string): Buffer[] => [fileHeader(name, text.length, 0), Buffer.from(text), padding(text.length)];

test('entries round-trip whatever the chunking', async () => {
  const archive = Buffer.concat([...member('manifest.json', '{"a":1}'), ...member('empty', ''), ...member('big', 'x'.repeat(1500)), END_OF_ARCHIVE]);
  for (const size of [1, 7, 512, 100_000]) {
    assert.deepEqual(await entries(archive, size), [
      { name: 'manifest.json', data: '{"a":1}' }, { name: 'empty', data: '' }, { name: 'big', data: 'x'.repeat(1500) },
    ]);
  }
});

test('a truncated archive or a damaged header is refused', async () => {
  const archive = Buffer.concat([...member('a', 'hello'), END_OF_ARCHIVE]);
  await assert.rejects(entries(archive.subarray(0, 600), 512), /truncated/);
  const damaged = Buffer.from(archive);
  damaged[3] = 0x41;
  await assert.rejects(entries(damaged, 512), /checksum/);
});

test('sizes beyond the octal field use base-256 and read back', () => {
  const size = 9 * 1024 ** 3;
  assert.deepEqual(parseHeader(fileHeader('huge', size, 0)), { name: 'huge', size });
  assert.deepEqual(parseHeader(fileHeader('small', 8 ** 11 - 1, 0)), { name: 'small', size: 8 ** 11 - 1 });
});

const gnuTar = spawnSync('tar', ['--version'], { encoding: 'utf8' });
const noGnuTar = gnuTar.status === 0 && gnuTar.stdout.includes('GNU tar') ? false : 'GNU tar is not installed';

test('GNU tar lists and extracts what we write', { skip: noGnuTar }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'certainty-tar-test-'));
  try {
    const big = Buffer.from(randomBytes(52_500).toString('base64'));
    await writeFile(join(dir, 'ours.tar.gz'), gzipSync(Buffer.concat([...member('manifest.json', '{"a":1}'), fileHeader('certainty.db', big.length, 1_700_000_000_000), big, padding(big.length), END_OF_ARCHIVE])));
    const listing = execFileSync('tar', ['-tzvf', join(dir, 'ours.tar.gz')], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }).trim().split('\n');
    assert.equal(listing.length, 2);
    assert.match(listing[0] ?? '', /^-rw------- 0\/0 +7 1970-01-01 00:00 manifest\.json$/);
    assert.match(listing[1] ?? '', /^-rw------- 0\/0 +70000 2023-11-14 22:13 certainty\.db$/);
    mkdirSync(join(dir, 'out'));
    execFileSync('tar', ['-xzf', join(dir, 'ours.tar.gz'), '-C', join(dir, 'out')]);
    assert.equal(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'), '{"a":1}');
    assert.deepEqual(await readFile(join(dir, 'out', 'certainty.db')), big);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('we read what GNU tar writes, in its gnu and ustar formats, record padding included', { skip: noGnuTar }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'certainty-tar-test-'));
  try {
    const big = Buffer.from(randomBytes(52_500).toString('base64'));
    await writeFile(join(dir, 'manifest.json'), '{"a":1}');
    await writeFile(join(dir, 'certainty.db'), big);
    for (const format of ['gnu', 'ustar']) {
      const tar = execFileSync('tar', [`--format=${format}`, '-cf', '-', '-C', dir, 'manifest.json', 'certainty.db']);
      assert.equal(tar.length % 10240, 0, 'padded to whole records');
      const read = await entries(tar, 4096);
      assert.deepEqual(read.map((e) => e.name), ['manifest.json', 'certainty.db'], format);
      assert.equal(read[0]?.data, '{"a":1}');
      assert.equal(read[1]?.data, big.toString('latin1'));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
