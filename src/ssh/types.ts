import type { SshCertKind } from './certificate.ts';
import type { SshKeyFamily } from './keys.ts';
import type { SshCaAlgorithm } from './signer.ts';

/**
 * A CA's place in a rotation: `standby` is trusted but does not sign yet (added beside the old
 * one), `active` signs, `retiring` is still trusted for the certificates it signed, `retired` is
 * trusted no more.
 */
export type SshCaStatus = 'standby' | 'active' | 'retiring' | 'retired';

export interface SshCa {
  id: string;
  kind: SshCertKind;
  algorithm: SshCaAlgorithm;
  /** authorized_keys form of its public key. */
  publicKey: string;
  status: SshCaStatus;
  createdAt: number;
  version: number;
}

/** What a role allows; templates may use `{{token.name}}` and `{{token.id}}` (the requesting token). */
export interface SshRole {
  name: string;
  kind: SshCertKind;
  /** Allowed principals (user roles; a host role may list fixed host names). Never empty for user roles. */
  principals: string[];
  /** Host roles: principals must be one of these names or under one (`example.com` allows `a.example.com`). */
  allowedDomains: string[];
  defaultExtensions: string[];
  allowedExtensions: string[];
  /** Critical options every certificate of the role carries. */
  criticalOptions: Record<string, string>;
  /** Critical options a request may add. */
  allowedCriticalOptions: string[];
  keyTypes: SshKeyFamily[];
  minRsaBits: number;
  ttlMs: number;
  maxTtlMs: number;
  /** How far before now a certificate starts, for clients whose clocks are behind. */
  backdateMs: number;
  /** `{{role}}`, `{{token.name}}`, `{{token.id}}`, `{{principal}}`, `{{serial}}`. */
  keyIdTemplate: string;
  /** Ids of machine tokens that may sign with this role (admin tokens always may). */
  tokens: string[];
}

/** A signed certificate as recorded. Times are epoch milliseconds; serials decimal strings. */
export interface SshCertRecord {
  serial: string;
  caId: string;
  kind: SshCertKind;
  role: string;
  keyId: string;
  principals: string[];
  fingerprint: string;
  validAfter: number;
  validBefore: number;
  tokenId: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export type SshRevocationTarget = 'serial' | 'key-id' | 'public-key';

export interface SshRevocation {
  target: SshRevocationTarget;
  /** The serial (decimal), the key id, or the public key blob in base64. */
  value: string;
  /** The CA whose serial it is (serial revocations only). */
  caId: string | null;
  reason: string;
  createdAt: number;
}

/** Who asks: a token (API) or an operator at the CLI (`token.id` is `cli`). */
export interface SshRequester {
  tokenId: string;
  tokenName: string;
  admin: boolean;
  /** How the audit log names them. */
  actor: string;
}
