import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

/**
 * What the rest of the code seals secrets with. `aad` names the record a blob belongs to (e.g.
 * "issuer:<id>"), so a ciphertext moved to another row does not open. Implemented by the
 * envelope `Keyring` (src/kek/envelope.ts).
 */
export interface Kek {
  wrap(plain: Uint8Array, aad: string): Buffer;
  unwrap(blob: Uint8Array, aad: string): Buffer;
}

/**
 * A key-encryption key provider: wraps and unwraps data keys. The file and passphrase providers
 * hold an AES-256 key in memory; an external KMS or HSM implements the same two calls remotely.
 * `id` names the KEK without revealing it, and is stored beside every data key it wrapped.
 */
export interface KekProvider {
  readonly id: string;
  wrapKey(dataKey: Uint8Array, aad: string): Buffer;
  unwrapKey(wrapped: Uint8Array, aad: string): Buffer;
}

/** AES-256-GCM: 12-byte IV | 16-byte tag | ciphertext. */
export function sealGcm(key: Uint8Array, plain: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

/** Opens `sealGcm` output; throws when the key or the aad is not the one it was sealed with. */
export function openGcm(key: Uint8Array, sealed: Uint8Array, aad: string): Buffer {
  const buf = Buffer.from(sealed);
  if (buf.length < 28) throw new Error('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(buf.subarray(12, 28));
  return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]);
}

/** A KEK held in memory (from a key file or a passphrase). */
export class LocalKek implements KekProvider {
  readonly id: string;
  readonly #key: Buffer;

  constructor(key: Buffer, readonly source: string) {
    if (key.length !== 32) throw new Error('KEK must be 32 bytes');
    this.#key = key;
    this.id = createHmac('sha256', key).update('certainty kek id').digest('hex').slice(0, 16);
  }

  wrapKey(dataKey: Uint8Array, aad: string): Buffer {
    return sealGcm(this.#key, dataKey, `dek:${aad}`);
  }

  unwrapKey(wrapped: Uint8Array, aad: string): Buffer {
    return openGcm(this.#key, wrapped, `dek:${aad}`);
  }
}

/** Reads a KEK file (base64 of 32 bytes), creating it with mode 0600 when `create` is set. */
export function loadKekFile(path: string, create: boolean): LocalKek {
  if (!existsSync(path)) {
    if (!create) throw new Error(`KEK file ${path} does not exist; run "certainty init" or set kek.file / CERTAINTY_KEK_FILE`);
    try {
      writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) chmodSync(path, 0o600);
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`KEK file ${path} must hold 32 bytes in base64 (found ${key.length} bytes)`);
  return new LocalKek(key, `the KEK file ${path}`);
}

/** Derives a KEK from a passphrase with scrypt (memory-hard); the salt is stored in the database (not secret). */
export function kekFromPassphrase(passphrase: string, salt: Buffer, source = 'the KEK passphrase'): LocalKek {
  return new LocalKek(scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }), source);
}
