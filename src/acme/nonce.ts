import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';

/** Where used nonces are recorded, cluster-wide. */
export interface NonceLedger {
  redeemNonces(nonces: ReadonlyArray<{ nonce: string; expiresAt: number }>): Promise<Set<string>>;
}

const MAX_BATCH = 500;

/**
 * Group commit for nonce redemption: redeems arriving while a write is in flight (or in the same
 * event-loop turn) go to the database together in one statement, so a busy node pays one commit
 * for many requests instead of one each. A redeem resolves only after its batch is committed.
 */
export class BatchingLedger {
  private queue: Array<{ nonce: string; expiresAt: number; resolve: (fresh: boolean) => void; reject: (err: unknown) => void }> = [];
  private flushing = false;

  constructor(private readonly ledger: NonceLedger) {}

  redeem(nonce: string, expiresAt: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ nonce, expiresAt, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      // The same nonce twice in one batch: only the first may succeed.
      const unique = [...new Map(batch.map((b) => [b.nonce, b])).values()];
      try {
        const fresh = await this.ledger.redeemNonces(unique.map(({ nonce, expiresAt }) => ({ nonce, expiresAt })));
        const first = new Set<unknown>();
        for (const b of batch) {
          const ok = fresh.has(b.nonce) && !first.has(b.nonce);
          first.add(b.nonce);
          b.resolve(ok);
        }
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.flushing = false;
  }
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
  private readonly ledger: BatchingLedger;
  /**
   * Random bytes for the nonces, filled 4 KiB at a time: every ACME answer carries a nonce, and a
   * getrandom system call per nonce cost 12–26 µs on the benchmark machine (docs/benchmarks.md).
   * Each byte is handed out once.
   */
  readonly #random = Buffer.alloc(4096);
  #randomUsed = this.#random.length;

  constructor(
    key: Buffer,
    ledger: NonceLedger,
    private readonly lifetimeMs: number,
    private readonly now: () => number,
  ) {
    this.#key = key;
    this.ledger = new BatchingLedger(ledger);
  }

  issue(): string {
    const body = Buffer.alloc(16);
    body.writeBigUInt64BE(BigInt(this.now()), 0);
    if (this.#randomUsed + 8 > this.#random.length) {
      randomFillSync(this.#random);
      this.#randomUsed = 0;
    }
    this.#random.copy(body, 8, this.#randomUsed, this.#randomUsed + 8);
    this.#randomUsed += 8;
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
    if (!(await this.ledger.redeem(nonce, expiresAt))) throw new AppError('badNonce', 'The nonce was already used');
  }
}
