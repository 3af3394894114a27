import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';

/** Where used nonces are recorded, cluster-wide. */
export interface NonceLedger {
  redeemNonce(nonce: string, expiresAt: number): Promise<boolean>;
}

const RAW_LENGTH = 32;

/**
 * Self-authenticating nonces: issue time (8 bytes) | random (8) | HMAC-SHA256 truncated (16),
 * keyed by a secret every node reads from the database. Any node can check one without a lookup;
 * redeeming inserts it into a shared ledger with a unique key, so each is accepted exactly once
 * cluster-wide. Minting costs no write.
 */
export class NonceService {
  readonly #key: Buffer;

  constructor(
    key: Buffer,
    private readonly ledger: NonceLedger,
    private readonly lifetimeMs: number,
    private readonly now: () => number,
  ) {
    this.#key = key;
  }

  issue(): string {
    const body = Buffer.alloc(16);
    body.writeBigUInt64BE(BigInt(this.now()), 0);
    randomBytes(8).copy(body, 8);
    return Buffer.concat([body, this.mac(body)]).toString('base64url');
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(body).digest().subarray(0, 16);
  }

  /** Throws badNonce unless `nonce` is one of ours, fresh, and never redeemed before. */
  async redeem(nonce: unknown): Promise<void> {
    if (typeof nonce !== 'string' || nonce.length === 0) throw new AppError('badNonce', 'The JWS protected header has no "nonce"');
    const raw = /^[A-Za-z0-9_-]+$/.test(nonce) ? Buffer.from(nonce, 'base64url') : Buffer.alloc(0);
    if (raw.length !== RAW_LENGTH) throw new AppError('badNonce', 'The nonce was not issued by this server');
    const body = raw.subarray(0, 16);
    if (!timingSafeEqual(raw.subarray(16), this.mac(body))) throw new AppError('badNonce', 'The nonce was not issued by this server');
    const issuedAt = Number(body.readBigUInt64BE(0));
    const expiresAt = issuedAt + this.lifetimeMs;
    if (expiresAt < this.now()) throw new AppError('badNonce', 'The nonce has expired; use a fresh one');
    if (!(await this.ledger.redeemNonce(nonce, expiresAt))) throw new AppError('badNonce', 'The nonce was already used');
  }
}
