import type { Logger } from 'pino';
import type { AuditRecorder } from '../audit/log.ts';
import type { RevocationStore } from '../ca/store.ts';
import type { JwsVerifier } from './jws.ts';
import type { AcmeSettings } from './settings.ts';
import type { Linker } from './linker.ts';
import type { NonceService } from './nonce.ts';
import type { AcmeStore } from './store.ts';
import type { IdentifierPolicy } from './policy.ts';
import type { Account } from './types.ts';

/** Signs certificates and keeps the CRL; implemented by src/ca/authority.ts. */
interface CertificateIssuer {
  readonly issuerId: string;
  /** The intermediate certificate's Subject Key Identifier (for ARI ids). */
  readonly authorityKeyId: Buffer;
  /** The issuing CA certificate's notBefore (ms): no leaf may start earlier. */
  readonly notBefore: number;
  /** Signs a leaf for an order; pure (no storage). */
  sign(input: {
    spki: Uint8Array;
    dnsNames: string[];
    ipAddresses: string[];
    notBefore: Date;
    notAfter: Date;
  }): Promise<{ der: Buffer; serial: string; chainPem: string; notBefore: number; notAfter: number }>;
  /**
   * Brings the active issuer's CRL (or, given a shard, that shard's) up to date with every
   * committed revocation (a no-op when it already is). Only for freshness: the job queued with
   * each revocation does it too.
   */
  updateCrl(shard?: number): Promise<unknown>;
}

/** Queues challenge validation so any node can run it (src/jobs). */
export interface ValidationQueue {
  /**
   * Queues the validation inside the caller's transaction, with the account as its fairness key;
   * returns what to do once it commits (run it here at once when this node has room for this
   * account, else wake the workers).
   */
  enqueue(store: AcmeStore, challengeId: string, accountId: string): Promise<() => void>;
  /**
   * Resolves when this node finished validating the challenge, or after `ms`, whichever is first.
   * Only a latency shortcut: the outcome is always read back from the database.
   */
  settled(challengeId: string, ms: number): Promise<void>;
}

/** External account binding keys (admin-managed). */
export interface EabKeys {
  /** Returns the HMAC key for `kid` if it exists, is not revoked and is unused. */
  hmacKey(kid: string): Promise<Buffer | undefined>;
}

export interface AcmeDeps {
  store: AcmeStore;
  /** What revoking writes (src/ca/revoke.ts). */
  revocations: RevocationStore;
  nonces: NonceService;
  jws: JwsVerifier;
  issuer: CertificateIssuer;
  policy: IdentifierPolicy;
  validations: ValidationQueue;
  eab: EabKeys;
  settings: AcmeSettings;
  now: () => number;
  newId: () => string;
  log: Logger;
  /** This node's audit log (src/audit). */
  audit: AuditRecorder;
}

/** One ACME request as the HTTP edge hands it over. */
export interface AcmeRequest {
  method: string;
  /** The URL the client addressed (external base + path + query). */
  url: URL;
  linker: Linker;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The client's IP address: the TCP peer, or from X-Forwarded-For when the peer is a trusted proxy. */
  clientAddress: string;
}

export interface AcmeResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  /** JSON body, or a raw body with its content type. */
  json?: unknown;
  raw?: { contentType: string; body: Buffer | string };
}

/** What an authenticated request carries forward. */
export interface Authenticated {
  account: Account;
  payload: Buffer;
  /** The POST-as-GET form: empty payload. */
  postAsGet: boolean;
}

