import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isAppError } from '../errors.ts';
import { listReports, readReport } from './report-files.ts';

const root = mkdtempSync(join(tmpdir(), 'report-files-'));
const dir = join(root, 'reports');
mkdirSync(dir);
writeFileSync(join(root, 'outside.html'), '<p>not a report</p>');
writeFileSync(join(dir, 'drill-2026-01-01T00-00-00-000Z.html'), '<p>old</p>');
utimesSync(join(dir, 'drill-2026-01-01T00-00-00-000Z.html'), 1_700_000_000, 1_700_000_000);
writeFileSync(join(dir, 'drill-2026-02-01T00-00-00-000Z.html'), '<p>new</p>');
writeFileSync(join(dir, 'drill.json'), '{}');
writeFileSync(join(dir, '.hidden.html'), 'x');
symlinkSync(join(root, 'outside.html'), join(dir, 'link.html'));
mkdirSync(join(dir, 'sub.html'));
after(() => rmSync(root, { recursive: true, force: true }));

const notFound = (err: unknown): boolean => isAppError(err) && err.code === 'notFound';

test('lists only regular .html files directly in the directory, newest first', async () => {
  const list = await listReports(dir);
  assert.deepEqual(list.map((r) => r.name), ['drill-2026-02-01T00-00-00-000Z.html', 'drill-2026-01-01T00-00-00-000Z.html']);
  assert.equal(list[1]?.bytes, 10);
});

test('reads a listed report, and refuses traversal, links, directories and other names', async () => {
  assert.equal((await readReport(dir, 'drill-2026-02-01T00-00-00-000Z.html')).toString(), '<p>new</p>');
  for (const name of ['../outside.html', '..%2Foutside.html', 'link.html', 'sub.html', '.hidden.html', 'drill.json', '/etc/passwd', 'missing.html']) {
    await assert.rejects(readReport(dir, name), notFound, name);
  }
});

test('a directory that cannot be read is named in the error', async () => {
  await assert.rejects(listReports(join(root, 'nope')), (err: unknown) => notFound(err) && /nope.*ENOENT.*console\.drillReports/.test((err as Error).message));
});
