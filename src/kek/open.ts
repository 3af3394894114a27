import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Keyring } from './envelope.ts';
import { kekFromPassphrase, loadKekFile, type KekProvider } from './kek.ts';
import type { KekSettingsStore } from './store.ts';

/** What the KEK verifier's blob is bound to. */
export const CHECK_AAD = 'kek-check';
/** What the wrapped ACME nonce key is bound to. */
export const NONCE_KEY_AAD = 'nonce-key';
const CHECK_TEXT = 'certainty key-encryption key check';

export interface KekConfig {
  file?: string | undefined;
  passphrase?: string | undefined;
  /** The KEK being rotated away from, accepted for unwrapping until rotation finishes. */
  previousFile?: string | undefined;
  previousPassphrase?: string | undefined;
}

/** Where a passphrase KEK's salt comes from: the database's `kek.salt`, or a backup's manifest. */
type SaltSource = () => Promise<string>;

async function provider(file: string | undefined, passphrase: string | undefined, salt: SaltSource, create: boolean, label: string): Promise<KekProvider> {
  if (passphrase !== undefined) return kekFromPassphrase(passphrase, Buffer.from(await salt(), 'base64'), `${label} passphrase`);
  return loadKekFile(file as string, create);
}

/** The current KEK (a passphrase when given, else the key file) and, during a rotation, the previous one. */
async function keyringOf(config: KekConfig, dataDir: string, salt: SaltSource, create: boolean): Promise<Keyring> {
  const current = await provider(config.file ?? join(dataDir, 'kek.key'), config.passphrase, salt, create, 'kek');
  const previous = config.previousFile !== undefined || config.previousPassphrase !== undefined
    ? await provider(config.previousFile, config.previousPassphrase, salt, false, 'kek.previous')
    : undefined;
  return new Keyring(current, previous);
}

/**
 * Opens the keyring: the current KEK (a passphrase when given, else the key file, created when
 * `create` is set) and, during a rotation, the previous one. It is checked against a verifier
 * sealed in the database, so a node with the wrong KEK refuses to start instead of failing on its
 * first signature.
 */
export async function openKek(store: KekSettingsStore, config: KekConfig, dataDir: string, create: boolean): Promise<Keyring> {
  const keyring = await keyringOf(config, dataDir, () => store.saltOrCreate(() => randomBytes(16).toString('base64')), create);
  const check = await store.checkOrCreate(() => keyring.wrap(Buffer.from(CHECK_TEXT), CHECK_AAD).toString('base64'));
  if (!opensCheck(keyring, check)) {
    const source = config.passphrase !== undefined ? 'kek.passphrase (CERTAINTY_KEK_PASSPHRASE)' : `the KEK file ${config.file ?? join(dataDir, 'kek.key')}`;
    throw new Error(`${source} is not the key this database's secrets are wrapped with; every node of one database must share the same KEK (during a rotation, set kek.previousFile to the old one)`);
  }
  return keyring;
}

/**
 * The configured keyring without a database, for sealed data that carries its own passphrase salt
 * (a backup's manifest): nothing is created, and what it opens is for the caller to check.
 */
export function openKeyring(config: KekConfig, dataDir: string, salt: string | null): Promise<Keyring> {
  return keyringOf(config, dataDir, async () => {
    if (salt === null) throw new Error('a KEK passphrase is configured, but the data was sealed under a KEK file, not a passphrase (it has no kek.salt)');
    return salt;
  }, false);
}

/** Whether `keyring` opens the verifier `check` (the `kek.check` setting). */
export function opensCheck(keyring: Keyring, check: string): boolean {
  try {
    keyring.unwrap(Buffer.from(check, 'base64'), CHECK_AAD);
    return true;
  } catch {
    return false;
  }
}

/** For /readyz: whether this node's KEKs still open the verifier (false after a rotation it was not given). */
export async function kekStillOpens(store: KekSettingsStore, keyring: Keyring): Promise<boolean> {
  const check = await store.check();
  return check === undefined || opensCheck(keyring, check);
}

/** The HMAC key of ACME nonces, shared by all nodes through the database, sealed by the keyring. */
export async function nonceKey(store: KekSettingsStore, kek: Keyring): Promise<Buffer> {
  const wrapped = await store.nonceKeyOrCreate(() => kek.wrap(randomBytes(32), NONCE_KEY_AAD).toString('base64'));
  return kek.unwrap(Buffer.from(wrapped, 'base64'), NONCE_KEY_AAD);
}
