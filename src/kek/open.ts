import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Database } from '../store/db.ts';
import { getOrCreateSetting, getSetting } from '../store/settings.ts';
import { Keyring } from './envelope.ts';
import { kekFromPassphrase, loadKekFile, type KekProvider } from './kek.ts';

export const CHECK_KEY = 'kek.check';
export const CHECK_AAD = 'kek-check';
const CHECK_TEXT = 'certainty key-encryption key check';

export interface KekConfig {
  file?: string | undefined;
  passphrase?: string | undefined;
  /** The KEK being rotated away from, accepted for unwrapping until rotation finishes. */
  previousFile?: string | undefined;
  previousPassphrase?: string | undefined;
}

async function provider(db: Database, file: string | undefined, passphrase: string | undefined, create: boolean, label: string): Promise<KekProvider> {
  if (passphrase !== undefined) {
    const salt = await getOrCreateSetting(db, 'kek.salt', () => randomBytes(16).toString('base64'));
    return kekFromPassphrase(passphrase, Buffer.from(salt, 'base64'), `${label} passphrase`);
  }
  return loadKekFile(file as string, create);
}

/**
 * Opens the keyring: the current KEK (a passphrase when given, else the key file, created when
 * `create` is set) and, during a rotation, the previous one. It is checked against a verifier
 * sealed in the database, so a node with the wrong KEK refuses to start instead of failing on its
 * first signature.
 */
export async function openKek(db: Database, config: KekConfig, dataDir: string, create: boolean): Promise<Keyring> {
  const current = await provider(db, config.file ?? join(dataDir, 'kek.key'), config.passphrase, create, 'kek');
  const previous = config.previousFile !== undefined || config.previousPassphrase !== undefined
    ? await provider(db, config.previousFile, config.previousPassphrase, false, 'kek.previous')
    : undefined;
  const keyring = new Keyring(current, previous);
  const check = await getOrCreateSetting(db, CHECK_KEY, () => keyring.wrap(Buffer.from(CHECK_TEXT), CHECK_AAD).toString('base64'));
  if (!canOpen(keyring, check)) {
    const source = config.passphrase !== undefined ? 'kek.passphrase (CERTAINTY_KEK_PASSPHRASE)' : `the KEK file ${config.file ?? join(dataDir, 'kek.key')}`;
    throw new Error(`${source} is not the key this database's secrets are wrapped with; every node of one database must share the same KEK (during a rotation, set kek.previousFile to the old one)`);
  }
  return keyring;
}

function canOpen(keyring: Keyring, check: string): boolean {
  try {
    keyring.unwrap(Buffer.from(check, 'base64'), CHECK_AAD);
    return true;
  } catch {
    return false;
  }
}

/** For /readyz: whether this node's KEKs still open the verifier (false after a rotation it was not given). */
export async function kekStillOpens(db: Database, keyring: Keyring): Promise<boolean> {
  const check = await getSetting(db, CHECK_KEY);
  return check === undefined || canOpen(keyring, check);
}

/** The HMAC key of ACME nonces, shared by all nodes through the database, sealed by the keyring. */
export async function nonceKey(db: Database, kek: Keyring): Promise<Buffer> {
  const wrapped = await getOrCreateSetting(db, 'acme.nonce-key', () => kek.wrap(randomBytes(32), 'nonce-key').toString('base64'));
  return kek.unwrap(Buffer.from(wrapped, 'base64'), 'nonce-key');
}
