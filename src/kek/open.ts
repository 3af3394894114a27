import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Database } from '../store/db.ts';
import { getOrCreateSetting } from '../store/settings.ts';
import { kekFromPassphrase, loadKekFile, type Kek } from './kek.ts';

const CHECK_AAD = 'kek-check';
const CHECK_TEXT = 'certainty key-encryption key check';

export interface KekConfig {
  file?: string | undefined;
  passphrase?: string | undefined;
}

/**
 * Opens the KEK (a passphrase when given, else the key file, created when `create` is set) and
 * checks it against the verifier stored in the database, so a node with the wrong KEK refuses to
 * start instead of failing on the first signature.
 */
export async function openKek(db: Database, config: KekConfig, dataDir: string, create: boolean): Promise<Kek> {
  let kek: Kek;
  if (config.passphrase !== undefined) {
    const salt = await getOrCreateSetting(db, 'kek.salt', () => randomBytes(16).toString('base64'));
    kek = kekFromPassphrase(config.passphrase, Buffer.from(salt, 'base64'));
  } else {
    kek = loadKekFile(config.file ?? join(dataDir, 'kek.key'), create);
  }
  const check = await getOrCreateSetting(db, 'kek.check', () => kek.wrap(Buffer.from(CHECK_TEXT), CHECK_AAD).toString('base64'));
  try {
    kek.unwrap(Buffer.from(check, 'base64'), CHECK_AAD);
  } catch {
    const source = config.passphrase !== undefined ? 'kek.passphrase (CERTAINTY_KEK_PASSPHRASE)' : `the KEK file ${config.file ?? join(dataDir, 'kek.key')}`;
    throw new Error(`${source} is not the key this database was created with; every node of one database must share the same KEK`);
  }
  return kek;
}

/** The HMAC key of ACME nonces, shared by all nodes through the database, wrapped by the KEK. */
export async function nonceKey(db: Database, kek: Kek): Promise<Buffer> {
  const wrapped = await getOrCreateSetting(db, 'acme.nonce-key', () => kek.wrap(randomBytes(32), 'nonce-key').toString('base64'));
  return kek.unwrap(Buffer.from(wrapped, 'base64'), 'nonce-key');
}
