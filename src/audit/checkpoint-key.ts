import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { Keyring } from '../kek/envelope.ts';
import type { CheckpointKeyStore } from './store.ts';

/** The `settings` row holding the cluster's checkpoint signing key (PKCS#8, wrapped by the KEK; `kek rotate` re-wraps it). */
export const CHECKPOINT_KEY_SETTING = 'audit.checkpoint-key';
/** What the wrapped key is bound to: a blob copied from another settings row does not open as this one. */
export const CHECKPOINT_KEY_AAD = 'audit-checkpoint-key';

/** A checkpoint verification key: the cluster's own, or one an auditor was given out of band. */
export interface CheckpointKey {
  /** Hex SHA-256 of the public key's DER SubjectPublicKeyInfo (`openssl pkey -pubin -outform DER | sha256sum`). */
  keyId: string;
  publicKeyPem: string;
  verify(message: Buffer, signature: string): boolean;
}

/** The signing half, held only by KEK holders: serving nodes and CLI commands that record. */
export interface CheckpointSigner {
  keyId: string;
  /** Ed25519 signature (RFC 8032), base64url. */
  sign(message: Buffer): string;
}

function verifier(publicKey: KeyObject): CheckpointKey {
  const keyId = createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
  return {
    keyId,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    verify: (message, signature) => {
      try {
        return verify(null, message, publicKey, Buffer.from(signature, 'base64url'));
      } catch {
        return false;
      }
    },
  };
}

function unwrapKey(kek: Keyring, wrapped: string): KeyObject {
  const der = kek.unwrap(Buffer.from(wrapped, 'base64'), CHECKPOINT_KEY_AAD);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** The cluster's signing key, created on first use (first writer wins, so every node signs with the same one). */
export async function checkpointSigner(store: CheckpointKeyStore, kek: Keyring): Promise<CheckpointSigner> {
  const wrapped = await store.wrappedKeyOrCreate(() => {
    const der = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
    try {
      return kek.wrap(der, CHECKPOINT_KEY_AAD).toString('base64');
    } finally {
      der.fill(0);
    }
  });
  const privateKey = unwrapKey(kek, wrapped);
  return { keyId: verifier(createPublicKey(privateKey)).keyId, sign: (message) => sign(null, message, privateKey).toString('base64url') };
}

/**
 * The cluster's verification key, derived from the wrapped private key, or undefined before any
 * node created one. Only a KEK holder could have wrapped that blob, so a public key planted in the
 * database cannot take its place.
 */
export async function storedCheckpointKey(store: CheckpointKeyStore, kek: Keyring): Promise<CheckpointKey | undefined> {
  const wrapped = await store.wrappedKey();
  return wrapped === undefined ? undefined : verifier(createPublicKey(unwrapKey(kek, wrapped)));
}

/** Whether the database holds a checkpoint key (without opening it). */
export async function hasCheckpointKey(store: CheckpointKeyStore): Promise<boolean> {
  return (await store.wrappedKey()) !== undefined;
}

/** A verification key from its PEM (SubjectPublicKeyInfo), as `certainty audit checkpoint-key` prints it. */
export function checkpointKeyFromPem(pem: string): CheckpointKey {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the checkpoint public key must be an Ed25519 key (got ${key.asymmetricKeyType ?? 'unknown'})`);
  return verifier(key);
}
