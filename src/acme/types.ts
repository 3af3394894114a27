/** Domain types of the ACME protocol (internal shapes; wire JSON lives in wire.ts). */
import type { Identifier } from '../ca/identifier.ts';
import type { ChallengeType } from '../validation/types.ts';

// Declared in the lower layers that need them too (arch rule: the lowest layer owns a type).
export type { Identifier } from '../ca/identifier.ts';
export type { ChallengeType } from '../validation/types.ts';

type AccountStatus = 'valid' | 'deactivated' | 'revoked';
type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
type AuthorizationStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
type ChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';

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
