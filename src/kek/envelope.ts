import { randomBytes } from 'node:crypto';
import { openGcm, sealGcm, type Kek, type KekProvider } from './kek.ts';

const VERSION = 2;

interface Parsed {
  kekId: string;
  wrappedKey: Buffer;
  sealed: Buffer;
}

/**
 * Envelope encryption: every secret is sealed (AES-256-GCM) under its own random data key, and the
 * data key is wrapped by the KEK; both are bound to the record's identity (`aad`). Rotating the KEK
 * re-wraps data keys only. Blob: version 2 | KEK id length | KEK id | wrapped key length (2 bytes)
 * | wrapped data key | sealed payload.
 *
 * A keyring holds the current KEK and, during a rotation, the previous one, so it opens blobs
 * under either and always seals under the current one.
 */
export class Keyring implements Kek {
  constructor(
    readonly current: KekProvider,
    readonly previous: KekProvider | undefined = undefined,
  ) {}

  wrap(plain: Uint8Array, aad: string): Buffer {
    const dataKey = randomBytes(32);
    const sealed = sealGcm(dataKey, plain, aad);
    const wrapped = this.current.wrapKey(dataKey, aad);
    dataKey.fill(0);
    return encode({ kekId: this.current.id, wrappedKey: wrapped, sealed });
  }

  unwrap(blob: Uint8Array, aad: string): Buffer {
    const parsed = decode(blob, aad);
    const dataKey = this.dataKey(parsed, aad);
    try {
      return openGcm(dataKey, parsed.sealed, aad);
    } catch {
      throw new Error(`cannot open ${aad}: it does not belong to this record, or it was altered`);
    } finally {
      dataKey.fill(0);
    }
  }

  /** Re-wraps the data key of a blob under `to`; the sealed payload is left as it is. */
  rewrap(blob: Uint8Array, aad: string, to: KekProvider): Buffer {
    const parsed = decode(blob, aad);
    if (parsed.kekId === to.id) return Buffer.from(blob);
    const dataKey = this.dataKey(parsed, aad);
    try {
      return encode({ kekId: to.id, wrappedKey: to.wrapKey(dataKey, aad), sealed: parsed.sealed });
    } finally {
      dataKey.fill(0);
    }
  }

  private dataKey(parsed: Parsed, aad: string): Buffer {
    const provider = this.provider(parsed.kekId, aad);
    try {
      return provider.unwrapKey(parsed.wrappedKey, aad);
    } catch {
      throw new Error(`cannot open ${aad}: its data key does not unwrap (the blob belongs to another record, or was altered)`);
    }
  }

  private provider(kekId: string, aad: string): KekProvider {
    if (kekId === this.current.id) return this.current;
    if (this.previous && kekId === this.previous.id) return this.previous;
    throw new Error(`cannot unwrap ${aad}: it is wrapped by KEK ${kekId}, and this node has ${[this.current.id, this.previous?.id].filter(Boolean).join(' and ')}`);
  }
}

/** The id of the KEK that wrapped a blob's data key. */
export function kekIdOf(blob: Uint8Array): string {
  return decode(blob, 'blob').kekId;
}

function encode(p: Parsed): Buffer {
  const id = Buffer.from(p.kekId, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(p.wrappedKey.length);
  return Buffer.concat([Buffer.from([VERSION, id.length]), id, len, p.wrappedKey, p.sealed]);
}

function decode(blob: Uint8Array, aad: string): Parsed {
  const buf = Buffer.from(blob);
  if (buf.length < 4 || buf[0] !== VERSION) throw new Error(`the wrapped value of ${aad} has an unknown format`);
  const idLen = buf[1] as number;
  const kekId = buf.subarray(2, 2 + idLen).toString('utf8');
  const keyLen = buf.readUInt16BE(2 + idLen);
  const start = 4 + idLen;
  if (buf.length < start + keyLen + 28) throw new Error(`the wrapped value of ${aad} is truncated`);
  return { kekId, wrappedKey: buf.subarray(start, start + keyLen), sealed: buf.subarray(start + keyLen) };
}
