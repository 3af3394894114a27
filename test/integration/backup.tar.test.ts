// src/backup/tar.ts against GNU tar, both ways: `tar -xzf backup.certainty` must open what
// `certainty backup` writes, and the reader must accept what GNU tar writes (its gnu and ustar
// formats, record padding), refusing by name what it does not handle.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { END_OF_ARCHIVE, fileHeader, padding } from '../../src/backup/tar.ts';
import { tarEntries as entries, tarMember as member } from '../support/tar-entries.ts';

before(() => {
  assert.match(execFileSync('tar', ['--version'], { encoding: 'utf8' }), /GNU tar/, 'these tests need GNU tar');
});


/** A name that fills the 100-byte ustar name field, with no terminating NUL. */
const LONGEST_NAME = `${'n'.repeat(95)}.json`;

test('GNU tar lists and extracts what we write', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'certainty-tar-test-'));
  try {
    const big = Buffer.from(randomBytes(52_500).toString('base64'));
    await writeFile(join(dir, 'ours.tar.gz'), gzipSync(Buffer.concat([...member('manifest.json', '{"a":1}'), ...member(LONGEST_NAME, '{}'), fileHeader('certainty.db', big.length, 1_700_000_000_000), big, padding(big.length), END_OF_ARCHIVE])));
    const listing = execFileSync('tar', ['-tzvf', join(dir, 'ours.tar.gz')], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }).trim().split('\n');
    assert.equal(listing.length, 3);
    assert.match(listing[0] ?? '', /^-rw------- 0\/0 +7 1970-01-01 00:00 manifest\.json$/);
    assert.match(listing[1] ?? '', new RegExp(`^-rw------- 0/0 +2 1970-01-01 00:00 ${LONGEST_NAME}$`));
    assert.match(listing[2] ?? '', /^-rw------- 0\/0 +70000 2023-11-14 22:13 certainty\.db$/);
    mkdirSync(join(dir, 'out'));
    execFileSync('tar', ['-xzf', join(dir, 'ours.tar.gz'), '-C', join(dir, 'out')]);
    assert.equal(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'), '{"a":1}');
    assert.equal(await readFile(join(dir, 'out', LONGEST_NAME), 'utf8'), '{}');
    assert.deepEqual(await readFile(join(dir, 'out', 'certainty.db')), big);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('we read what GNU tar writes, in its gnu and ustar formats, record padding up to 1 MiB included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'certainty-tar-test-'));
  try {
    const big = Buffer.from(randomBytes(52_500).toString('base64'));
    await writeFile(join(dir, 'manifest.json'), '{"a":1}');
    await writeFile(join(dir, 'certainty.db'), big);
    await writeFile(join(dir, LONGEST_NAME), '{}');
    // -b 2048: records of 1 MiB, the most trailing zeros the reader accepts after the end blocks.
    for (const options of [['--format=gnu'], ['--format=ustar'], ['--format=ustar', '-b', '2048']]) {
      const tar = execFileSync('tar', [...options, '-cf', '-', '-C', dir, 'manifest.json', LONGEST_NAME, 'certainty.db']);
      assert.equal(tar.length % (options.includes('-b') ? 1024 * 1024 : 10240), 0, 'padded to whole records');
      const read = await entries(tar, 4096);
      assert.deepEqual(read.map((e) => e.name), ['manifest.json', LONGEST_NAME, 'certainty.db'], options.join(' '));
      assert.equal(read[0]?.data, '{"a":1}');
      assert.equal(read[1]?.data, '{}');
      assert.equal(read[2]?.data, big.toString('latin1'));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('what GNU tar writes that an archive never holds is refused, not misread', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'certainty-tar-test-'));
  try {
    const longName = `${'d'.repeat(60)}/${'f'.repeat(60)}`;
    mkdirSync(join(dir, 'd'.repeat(60)));
    await writeFile(join(dir, longName), 'x');
    const tar = (...args: string[]): Buffer => execFileSync('tar', [...args, '-cf', '-', '-C', dir, longName]);
    // gnu: a ././@LongLink member carries the name; ustar: the name is split into prefix and name.
    await assert.rejects(entries(tar('--format=gnu'), 512), /something other than regular files/);
    await assert.rejects(entries(tar('--format=ustar'), 512), /name prefix/);
    await assert.rejects(entries(execFileSync('tar', ['--format=ustar', '-cf', '-', '-C', dir, 'd'.repeat(60)]), 512), /something other than regular files/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
