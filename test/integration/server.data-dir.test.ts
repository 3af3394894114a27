// Every file a `certainty serve` process creates in its data directory is private
// to its user (no group or other bits, whatever the umask), and a data directory others can
// enter is reported at start.
import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startCertainty } from '../support/certainty.ts';
import { dialects, freshDatabaseUrl } from '../support/node.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

const WARNING = /data directory .* is accessible to its group or other users \(mode 0755\)/;

/** Every file under `dir` with its permission bits. */
function modes(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(join(entry.parentPath, entry.name), statSync(join(entry.parentPath, entry.name)).mode & 0o777);
  }
  return out;
}

function assertPrivate(dir: string, expected: string[]): void {
  const files = modes(dir);
  for (const name of expected) assert.ok(files.has(join(dir, name)), `${name} exists in the data directory (found ${[...files.keys()].join(', ')})`);
  for (const [path, mode] of files) assert.equal(mode & 0o077, 0, `${path} has mode 0${mode.toString(8)}`);
}

for (const dialect of dialects()) {
  describe(`data directory file modes (${dialect})`, { timeout: 120_000 }, () => {
    const expected = ['kek.key', 'root.pem', ...(dialect === 'sqlite' ? ['certainty.db', 'certainty.db-wal', 'certainty.db-shm'] : [])];
    const options = async (): Promise<{ dnsAddress: string; http01Port: number; tlsAlpn01Port: number; databaseUrl?: string }> => {
      const databaseUrl = await freshDatabaseUrl(dialect);
      return { dnsAddress: '127.0.0.1:53', http01Port: 80, tlsAlpn01Port: 443, ...(databaseUrl === undefined ? {} : { databaseUrl }) };
    };

    test('a fresh data directory holds only 0600 files and gives no warning', async () => {
      const server = await startCertainty(await options());
      try {
        assert.equal(statSync(server.dataDir).mode & 0o777, 0o700);
        assertPrivate(server.dataDir, expected);
        assert.doesNotMatch(readFileSync(server.logPath, 'utf8'), /is accessible to its group/);
      } finally {
        await server.dispose();
      }
    });

    test('a 0755 data directory is reported at start; its files are still 0600', async () => {
      const root = await makeTempDir('open-data-dir');
      const dataDir = join(root, 'data');
      mkdirSync(dataDir);
      chmodSync(dataDir, 0o755);
      const server = await startCertainty({ ...(await options()), env: { CERTAINTY_DATA_DIR: dataDir } });
      try {
        assert.match(readFileSync(server.logPath, 'utf8'), WARNING);
        assertPrivate(dataDir, expected);
      } finally {
        await server.dispose();
        await removeDir(root);
      }
    });
  });
}
