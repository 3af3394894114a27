/**
 * The lifecycle domain's types: issuers Certainty orders certificates from, the certificates it
 * manages for operators, and their revisions. docs/lifecycle.md describes the model.
 */
import type { DeclaredTarget } from './deploy/types.ts';
import type { TsigAlgorithm } from './dns-update/tsig.ts';

/** Where a managed certificate comes from: an upstream ACME CA, or Certainty's own CA (no ACME round trip). */
export type IssuerKind = 'acme' | 'local';

/** What an upstream ACME issuer is configured with; the EAB HMAC key is stored apart, wrapped by the KEK. */
export interface AcmeIssuerConfig {
  directoryUrl: string;
  contact: string[];
  eabKid?: string;
  /** PEM bundle trusted for the upstream's HTTPS (a private CA); unset: the system's roots. */
  trustPem?: string;
  /** Common name of the root (or top issuer) of the chain to prefer among the alternates. */
  preferredChain?: string;
  /** RFC 9773-era `profile` of newOrder, where the CA offers profiles. */
  profile?: string;
  /** New orders the whole cluster may place per period (src/lifecycle/rate-budget.ts); unset: the default budget. */
  rateLimit?: RateLimit;
}

/** An upstream's order budget: `orders` per `per` (a duration such as `3h`), refilled evenly. */
export interface RateLimit {
  orders: number;
  per: string;
}

export interface Issuer {
  name: string;
  kind: IssuerKind;
  /** Empty for `local`. */
  acme: AcmeIssuerConfig | undefined;
  hasEab: boolean;
  createdAt: number;
}

/** A new issuer as stored: the EAB HMAC key already wrapped. */
export interface NewIssuer extends Issuer {
  eabHmacWrapped: Buffer | undefined;
}

export const KEY_TYPES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
type KeyType = (typeof KEY_TYPES)[number];

/** How a challenge is answered for an upstream CA. */
export type SolverSpec =
  /** http-01 served by every Certainty node from the database. */
  | { type: 'http-01' }
  /** A command answers http-01 or dns-01 (`present`, then `cleanup`). */
  | { type: 'exec'; challenge: 'http-01' | 'dns-01'; command: string; args: string[]; timeoutMs: number }
  /** dns-01 by RFC 2136 dynamic update signed with TSIG. */
  | { type: 'dns-01'; rfc2136: Rfc2136Spec };

/** Where and how TXT records are updated; the TSIG secret is wrapped by the KEK ({@link tsigAad}), base64. */
export interface Rfc2136Spec {
  server: string;
  port: number;
  /** Unset: the zone is found by asking the server for the SOA, walking up from the record name. */
  zone?: string;
  keyName: string;
  keyAlgorithm: TsigAlgorithm;
  keySecretWrapped: string;
}

/** When to renew when the issuer offers no ARI (or ARI is unreachable). */
interface RenewalPolicy {
  /** Renew when this fraction of the lifetime is left (default ⅓). */
  renewWhenLeft: number;
  /** Requested validity from a local issuer, in days. */
  validityDays: number;
}

/** What an operator declares about a managed certificate. */
export interface ManagedSpec {
  names: string[];
  keyType: KeyType;
  /** Keep the key across renewals; by default every renewal gets a new key. */
  reuseKey: boolean;
  /** Revisions kept (the current one included). */
  revisionLimit: number;
  solver: SolverSpec;
  /** Inline secret values (a webhook's headers, an exec target's env) are stored apart, wrapped, and read `(secret)` here. */
  targets: DeclaredTarget[];
  policy: RenewalPolicy;
}

/** Which rule chose the next renewal time, shown by `managed show`. */
export type RenewalRule = 'new' | 'ari' | 'policy' | 'ari-unreachable' | 'backoff' | 'operator' | 'rate-budget';

/** The last renewal outcome. */
export type Outcome = 'none' | 'renewed' | 'failed';

/** An ARI suggested window (RFC 9773 §4.2) as stored, and the time chosen in it. */
export interface AriState {
  start: number;
  end: number;
  chosen: number;
  explanationUrl?: string;
}

/** The renewal state a finished attempt leaves, written with compare-and-swap on `version`. */
export interface RenewalState {
  nextRenewalAt: number;
  renewalRule: RenewalRule;
  ari: AriState | undefined;
  ariPollAt: number | undefined;
  failures: number;
  lastOutcome: Outcome;
  /** Plain words: what happened last. */
  lastDetail: string;
  lastAttemptAt: number | undefined;
}

export interface ManagedCertificate extends RenewalState {
  name: string;
  issuer: string;
  spec: ManagedSpec;
  currentRevision: number;
  /** Increases with every finished renewal attempt; the renewal job's idempotency key names it. */
  renewalSeq: number;
  /** The upstream order of the renewal in flight, resumed after a crash rather than ordered twice. */
  pendingOrderUrl: string | undefined;
  createdAt: number;
  version: number;
}

export interface Revision {
  managedName: string;
  revision: number;
  serial: string;
  certPem: string;
  chainPem: string;
  notBefore: number;
  notAfter: number;
  /** RFC 9773 certificate identifier, when the issuer offers ARI (what the next order `replaces`). */
  ariId: string | undefined;
  replaces: string | undefined;
  rule: RenewalRule;
  createdAt: number;
}

export interface NewRevision extends Revision {
  keyWrapped: Buffer;
}

/** A revision this CA signed (a local issuer), as the CA's inventory records it beside ACME-issued certificates. */
export interface LocalCertificate {
  managedName: string;
  revision: number;
  serial: string;
  /** The CA issuer that signed it. */
  issuerId: string;
  der: Buffer;
  chainPem: string;
  names: string[];
  notBefore: number;
  notAfter: number;
  /** RFC 9773 identifier (unique in the inventory). */
  ariId: string;
  createdAt: number;
}

/** The AAD a revision's key is bound to (also how `kek rotate` finds it). */
export const revisionKeyAad = (name: string, revision: number): string => `managed-key:${name}:${revision}`;
export const revisionId = (name: string, revision: number): string => `${name}:${revision}`;
export const pendingKeyAad = (name: string): string => `managed-pending-key:${name}`;
export const eabAad = (issuer: string): string => `lifecycle-eab:${issuer}`;
export const targetSecretsAad = (name: string): string => `managed-target-secrets:${name}`;
export const accountKeyAad = (issuer: string): string => `lifecycle-account:${issuer}`;
export const nextAccountKeyAad = (issuer: string): string => `lifecycle-account-next:${issuer}`;
/** The AAD a managed certificate's TSIG secret is bound to (also how `kek rotate` finds it). */
export const tsigAad = (name: string): string => `managed-tsig:${name}`;

/**
 * The part of a lifecycle job's idempotency key that names the certificate: its name and when it
 * was added, so a certificate removed and added again under the same name gets jobs of its own
 * instead of colliding with the keys its predecessor's jobs left in the queue.
 */
export const jobSubject = (cert: Pick<ManagedCertificate, 'name' | 'createdAt'>): string => `${cert.name}@${cert.createdAt}`;
