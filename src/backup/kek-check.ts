import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { openKek } from '../kek/open.ts';
import { SqliteDatabase } from '../store/sqlite.ts';
import { verifierFingerprint, type Manifest } from './manifest.ts';

/** Where the configured KEK comes from, for messages. */
export function kekSource(config: Config): string {
  if (config.kek.passphrase !== undefined) return 'kek.passphrase (CERTAINTY_KEK_PASSPHRASE)';
  return `the KEK file ${config.kek.file ?? join(config.dataDir, 'kek.key')}`;
}

/**
 * Checks, before anything is written, that the configured KEK opens the archive's verifier. The
 * archive's `settings` rows are loaded into a throwaway in-memory database and opened with the
 * same `openKek` every node runs at start, so the rule cannot drift from the server's.
 */
export async function checkArchiveKek(config: Config, manifest: Manifest, settings: Record<string, string>): Promise<void> {
  const check = settings['kek.check'];
  if (check === undefined) throw new Error('the archive has no KEK verifier (settings kek.check); it cannot be restored safely');
  if (verifierFingerprint(check) !== manifest.kekVerifier) {
    throw new Error('the archive is damaged: its KEK verifier does not match the fingerprint in its manifest');
  }
  if (config.kek.passphrase === undefined) {
    const file = config.kek.file ?? join(config.dataDir, 'kek.key');
    if (!existsSync(file)) {
      throw new Error(`the KEK file ${file} does not exist; archives never contain the KEK: put the backed-up installation's KEK there (or set kek.file / CERTAINTY_KEK_FILE, or kek.passphrase) and run this again`);
    }
  }
  const scratch = new SqliteDatabase(':memory:');
  try {
    await scratch.exec('CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    for (const [key, value] of Object.entries(settings)) await scratch.exec('INSERT INTO settings (key, value) VALUES (?, ?)', [key, value]);
    await openKek(scratch, config.kek, config.dataDir, false);
  } catch (err) {
    const message = (err as Error).message;
    const why = /is not the key/.test(message) ? 'it is not the key the backup was wrapped with' : message;
    throw new Error(`${kekSource(config)} does not open this backup: ${why}. Nothing was written; configure the KEK of the installation the backup came from (kek.file / CERTAINTY_KEK_FILE, or kek.passphrase)`, { cause: err });
  } finally {
    await scratch.close();
  }
}
