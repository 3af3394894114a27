import type { Account, Authorization, Challenge, IssuedCertificate, Order } from '../acme/types.ts';

/** Row shapes of the ACME tables and their mapping to domain types: the one place they meet. */

export interface AccountRow {
  id: string;
  thumbprint: string;
  jwk: string;
  status: string;
  contact: string;
  eab_kid: string | null;
  created_at: number;
  version: number;
}

export interface OrderRow {
  id: string;
  account_id: string;
  status: string;
  identifiers: string;
  not_before: number | null;
  not_after: number | null;
  expires_at: number;
  error: string | null;
  certificate_id: string | null;
  replaces: string | null;
  created_at: number;
  version: number;
}

export interface AuthorizationRow {
  id: string;
  order_id: string;
  account_id: string;
  identifier_type: string;
  identifier_value: string;
  wildcard: number;
  status: string;
  expires_at: number;
  created_at: number;
  version: number;
}

export interface ChallengeRow {
  id: string;
  authz_id: string;
  type: string;
  token: string;
  status: string;
  validated_at: number | null;
  error: string | null;
  validation_record: string | null;
  updated_at: number;
  version: number;
}

export interface CertificateRow {
  id: string;
  serial: string;
  account_id: string;
  order_id: string;
  issuer_id: string;
  der: Buffer;
  chain_pem: string;
  identifiers: string;
  not_before: number;
  not_after: number;
  ari_id: string;
  replaced_by: string | null;
  revoked_at: number | null;
  revocation_reason: number | null;
  created_at: number;
}

const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
const num = (v: number | null): number | null => (v === null ? null : Number(v));

export function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    thumbprint: r.thumbprint,
    jwk: JSON.parse(r.jwk) as Record<string, unknown>,
    status: r.status as Account['status'],
    contact: JSON.parse(r.contact) as string[],
    eabKid: r.eab_kid,
    createdAt: Number(r.created_at),
    version: Number(r.version),
  };
}

export function fromAccount(a: Account): unknown[] {
  return [a.id, a.thumbprint, JSON.stringify(a.jwk), a.status, JSON.stringify(a.contact), a.eabKid, a.createdAt, a.version];
}

export function toOrder(r: OrderRow): Order {
  return {
    id: r.id,
    accountId: r.account_id,
    status: r.status as Order['status'],
    identifiers: JSON.parse(r.identifiers) as Order['identifiers'],
    notBefore: num(r.not_before),
    notAfter: num(r.not_after),
    expiresAt: Number(r.expires_at),
    error: json(r.error),
    certificateId: r.certificate_id,
    replaces: r.replaces,
    createdAt: Number(r.created_at),
    version: Number(r.version),
  };
}

export function fromOrder(o: Order): unknown[] {
  return [
    o.id, o.accountId, o.status, JSON.stringify(o.identifiers), o.notBefore, o.notAfter, o.expiresAt,
    o.error === null ? null : JSON.stringify(o.error), o.certificateId, o.replaces, o.createdAt, o.version,
  ];
}

export function toChallenge(r: ChallengeRow): Challenge {
  return {
    id: r.id,
    authzId: r.authz_id,
    type: r.type as Challenge['type'],
    token: r.token,
    status: r.status as Challenge['status'],
    validatedAt: num(r.validated_at),
    error: json(r.error),
    validationRecord: json(r.validation_record),
    updatedAt: Number(r.updated_at),
    version: Number(r.version),
  };
}

export function fromChallenge(c: Challenge): unknown[] {
  return [
    c.id, c.authzId, c.type, c.token, c.status, c.validatedAt, c.error === null ? null : JSON.stringify(c.error),
    c.validationRecord === null ? null : JSON.stringify(c.validationRecord), c.updatedAt, c.version,
  ];
}

export function toAuthorization(r: AuthorizationRow, challenges: Challenge[]): Authorization {
  return {
    id: r.id,
    orderId: r.order_id,
    accountId: r.account_id,
    identifier: { type: r.identifier_type as Authorization['identifier']['type'], value: r.identifier_value },
    wildcard: Number(r.wildcard) === 1,
    status: r.status as Authorization['status'],
    expiresAt: Number(r.expires_at),
    createdAt: Number(r.created_at),
    version: Number(r.version),
    challenges,
  };
}

export function fromAuthorization(a: Authorization): unknown[] {
  return [
    a.id, a.orderId, a.accountId, a.identifier.type, a.identifier.value, a.wildcard ? 1 : 0, a.status, a.expiresAt,
    a.createdAt, a.version,
  ];
}

export function toCertificate(r: CertificateRow): IssuedCertificate {
  return {
    id: r.id,
    serial: r.serial,
    accountId: r.account_id,
    orderId: r.order_id,
    issuerId: r.issuer_id,
    der: Buffer.from(r.der),
    chainPem: r.chain_pem,
    identifiers: JSON.parse(r.identifiers) as IssuedCertificate['identifiers'],
    notBefore: Number(r.not_before),
    notAfter: Number(r.not_after),
    ariId: r.ari_id,
    replacedBy: r.replaced_by,
    revokedAt: num(r.revoked_at),
    revocationReason: num(r.revocation_reason),
    createdAt: Number(r.created_at),
  };
}

export function fromCertificate(c: IssuedCertificate): unknown[] {
  return [
    c.id, c.serial, c.accountId, c.orderId, c.issuerId, c.der, c.chainPem, JSON.stringify(c.identifiers), c.notBefore,
    c.notAfter, c.ariId, c.replacedBy, c.revokedAt, c.revocationReason, c.createdAt,
  ];
}
