/** Domain types of the ACME protocol (internal shapes; wire JSON lives in wire.ts). */

export type IdentifierType = 'dns' | 'ip';

export interface Identifier {
  type: IdentifierType;
  value: string;
}

export type AccountStatus = 'valid' | 'deactivated' | 'revoked';
export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
export type AuthorizationStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
export type ChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';
export type ChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01';

/** A problem as stored on orders and challenges (RFC 7807 fields). */
export interface StoredProblem {
  type: string;
  detail: string;
  status: number;
  subproblems?: Array<{ type: string; detail: string; identifier?: Identifier }>;
}

export interface Account {
  id: string;
  thumbprint: string;
  jwk: Record<string, unknown>;
  status: AccountStatus;
  contact: string[];
  eabKid: string | null;
  createdAt: number;
  version: number;
}

export interface Order {
  id: string;
  accountId: string;
  status: OrderStatus;
  identifiers: Identifier[];
  notBefore: number | null;
  notAfter: number | null;
  expiresAt: number;
  error: StoredProblem | null;
  certificateId: string | null;
  replaces: string | null;
  createdAt: number;
  version: number;
}

export interface Challenge {
  id: string;
  authzId: string;
  type: ChallengeType;
  token: string;
  status: ChallengeStatus;
  validatedAt: number | null;
  error: StoredProblem | null;
  validationRecord: unknown[] | null;
  updatedAt: number;
  version: number;
}

export interface Authorization {
  id: string;
  orderId: string;
  accountId: string;
  identifier: Identifier;
  wildcard: boolean;
  status: AuthorizationStatus;
  expiresAt: number;
  createdAt: number;
  version: number;
  challenges: Challenge[];
}

export interface IssuedCertificate {
  id: string;
  serial: string;
  accountId: string;
  orderId: string;
  issuerId: string;
  der: Buffer;
  chainPem: string;
  identifiers: Identifier[];
  notBefore: number;
  notAfter: number;
  ariId: string;
  replacedBy: string | null;
  revokedAt: number | null;
  revocationReason: number | null;
  createdAt: number;
}
