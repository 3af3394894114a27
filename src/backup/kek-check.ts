import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Keyring } from '../kek/envelope.ts';
import { openKeyring, opensCheck } from '../kek/open.ts';
import type { Authenticate } from './archive.ts';
import type { Manifest } from './manifest.ts';
import { verifySeal } from './seal.ts';

/** Where the configured KEK comes from, for messages. */
export function kekSource(config: Config): string {
  if (config.kek.passphrase !== undefined) return 'kek.passphrase (CERTAINTY_KEK_PASSPHRASE)';
  return `the KEK file ${config.kek.file ?? join(config.dataDir, 'kek.key')}`;
}

/**
 * The configured keyring for data whose KEK settings are `kek` (a snapshot's, or an archive's
 * manifest's): opened without a database, since a restore target is empty. `fail` words the error.
 */
async function configuredKeyring(config: Config, kek: Manifest['kek'], fail: (why: string, cause?: unknown) => Error): Promise<Keyring> {
  if (config.kek.passphrase === undefined && !existsSync(config.kek.file ?? join(config.dataDir, 'kek.key'))) throw fail('the file does not exist');
  try {
    return await openKeyring(config.kek, config.dataDir, kek.salt);
  } catch (err) {
    throw fail((err as Error).message, err);
  }
}

/** The keyring a backup is sealed with: the configured KEK, shown to open the snapshot's verifier. */
export async function openBackupKek(config: Config, kek: Manifest['kek']): Promise<Keyring> {
  const fail = (why: string, cause?: unknown): Error =>
    new Error(`${kekSource(config)} does not open the database being backed up: ${why}; a backup is authenticated with the KEK, so run it where the servers' KEK is configured`, { cause });
  const keyring = await configuredKeyring(config, kek, fail);
  if (!opensCheck(keyring, kek.check)) throw fail('it is not the key the database\'s secrets are wrapped with');
  return keyring;
}

/**
 * Authenticates an archive before any of its payload is read: the configured KEK (with
 * `kek.previous*` during a rotation) must open the MAC key and the MAC must verify, which tells a
 * wrong KEK from an altered archive; then it must open the archive's KEK verifier, as every node
 * checks at start, so a restore never yields a database whose secrets the KEK cannot open.
 */
export function authenticateArchive(config: Config, archive: string): Authenticate {
  const source = kekSource(config);
  const fail = (why: string, cause?: unknown): Error =>
    new Error(`${source} does not open this backup: ${why}. Nothing was written; configure the KEK of the installation the backup came from (kek.file / CERTAINTY_KEK_FILE, or kek.passphrase); archives never contain it`, { cause });
  return async (manifest, manifestJson, seal) => {
    const keyring = await configuredKeyring(config, manifest.kek, fail);
    const kekId = verifySeal(keyring, manifestJson, seal, { archive, kekSource: source });
    if (!opensCheck(keyring, manifest.kek.check)) {
      throw fail(`its MAC verifies under KEK ${kekId}, but its secrets are wrapped with another KEK: it was taken during a KEK rotation, so configure the new KEK as kek.file and the old one as kek.previousFile (or kek.previousPassphrase)`);
    }
    return kekId;
  };
}
