import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

/**
 * The key-encryption key. Every private key and secret at rest is wrapped with AES-256-GCM under
 * it; `aad` binds a wrapped blob to its purpose (e.g. "issuer:<id>") so blobs cannot be swapped.
 * Format: version byte 1 | 12-byte IV | 16-byte tag | ciphertext.
 */
export interface Kek {
  wrap(plain: Uint8Array, aad: string): Buffer;
  unwrap(blob: Uint8Array, aad: string): Buffer;
}

const VERSION = 1;

export class AesGcmKek implements Kek {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('KEK must be 32 bytes');
    this.#key = key;
  }

  wrap(plain: Uint8Array, aad: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]);
  }

  unwrap(blob: Uint8Array, aad: string): Buffer {
    const buf = Buffer.from(blob);
    if (buf.length < 29 || buf[0] !== VERSION) throw new Error(`wrapped value for ${aad} has an unknown format`);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(1, 13));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(buf.subarray(13, 29));
    try {
      return Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()]);
    } catch {
      throw new Error(`cannot unwrap ${aad}: the KEK is not the one it was wrapped with`);
    }
  }
}

/** Reads the KEK file (base64 of 32 bytes), creating it with mode 0600 when `create` is set. */
export function loadKekFile(path: string, create: boolean): AesGcmKek {
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
  return new AesGcmKek(key);
}

/** Derives the KEK from a passphrase with scrypt; the salt is stored in the database (not secret). */
export function kekFromPassphrase(passphrase: string, salt: Buffer): AesGcmKek {
  return new AesGcmKek(scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }));
}
