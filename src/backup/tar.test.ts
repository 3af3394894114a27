import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { END_OF_ARCHIVE, fileHeader, parseHeader } from './tar.ts';
import { tarEntries as entries, tarMember as member } from '../../test/support/tar-entries.ts';

// That GNU tar reads what this writes, and this reads what GNU tar writes: test/integration/backup.tar.test.ts.

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
