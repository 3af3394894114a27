/** The KEK's bookkeeping in the database, shared by every node. Values are base64 text. */
export interface KekSettingsStore {
  /** The passphrase KEK's scrypt salt (not secret), or undefined before a passphrase KEK was first opened. */
  salt(): Promise<string | undefined>;
  /** The salt, stored from `create()` first when there is none; the first writer wins. */
  saltOrCreate(create: () => string): Promise<string>;
  /** The KEK verifier (a constant wrapped by the KEK), or undefined before the first node started. */
  check(): Promise<string | undefined>;
  /** The verifier, stored from `create()` first when there is none; the first writer wins. */
  checkOrCreate(create: () => string): Promise<string>;
  /** The ACME nonce HMAC key wrapped by the KEK, stored from `create()` first when there is none. */
  nonceKeyOrCreate(create: () => string): Promise<string>;
}

/** One value wrapped by the KEK, wherever it is kept. */
export interface WrappedValue {
  /** The table it is kept in, as progress reports name it. */
  table: string;
  /** Its row's id. */
  id: string;
  /** The record identity its blob is bound to (the `aad` it was wrapped with). */
  aad: string;
  blob: Buffer;
}

/**
 * Every value the KEK wraps, whichever domain owns it (CA keys, EAB HMAC keys, the nonce key, the
 * audit checkpoint key, the KEK verifier): what a rotation re-wraps and `kek status` counts.
 */
export interface KekRotationStore {
  /** The tables holding wrapped values, in the order a rotation takes them (the KEK verifier comes last). */
  tables(): readonly string[];
  /** Up to `limit` wrapped values of `table` whose id sorts after `after`, in id order. */
  wrappedValues(table: string, after: string, limit: number): Promise<WrappedValue[]>;
  /** Stores `blob` in place of `value`'s unless that changed since it was read (compare-and-swap); false then. */
  rewrap(value: WrappedValue, blob: Buffer): Promise<boolean>;
  transaction<T>(fn: (store: KekRotationStore) => Promise<T>): Promise<T>;
}
