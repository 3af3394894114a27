import type { Linker } from './linker.ts';
import type { Account, Authorization, Challenge, Order, StoredProblem } from './types.ts';

/** RFC 8555 JSON shapes of each resource, built from domain types in one place. */

const iso = (ms: number): string => new Date(ms).toISOString();

export function accountJson(a: Account, link: Linker): Record<string, unknown> {
  return {
    status: a.status,
    contact: a.contact,
    orders: link.accountOrders(a.id),
    ...(a.eabKid === null ? {} : { externalAccountBinding: { kid: a.eabKid } }),
    createdAt: iso(a.createdAt),
  };
}

export function orderJson(o: Order, authzIds: string[], link: Linker): Record<string, unknown> {
  return {
    status: o.status,
    expires: iso(o.expiresAt),
    identifiers: o.identifiers,
    ...(o.notBefore === null ? {} : { notBefore: iso(o.notBefore) }),
    ...(o.notAfter === null ? {} : { notAfter: iso(o.notAfter) }),
    ...(o.error === null ? {} : { error: o.error }),
    authorizations: authzIds.map((id) => link.authz(id)),
    finalize: link.finalize(o.id),
    ...(o.certificateId === null ? {} : { certificate: link.certificate(o.certificateId) }),
    ...(o.replaces === null ? {} : { replaces: o.replaces }),
  };
}

export function challengeJson(c: Challenge, link: Linker): Record<string, unknown> {
  return {
    type: c.type,
    url: link.challenge(c.id),
    status: c.status,
    token: c.token,
    ...(c.validatedAt === null ? {} : { validated: iso(c.validatedAt) }),
    ...(c.error === null ? {} : { error: c.error }),
    ...(c.validationRecord === null ? {} : { validationRecord: c.validationRecord }),
  };
}

export function authorizationJson(a: Authorization, link: Linker): Record<string, unknown> {
  // RFC 8555 §7.1.4: a wildcard authorization names the base domain and sets "wildcard".
  return {
    identifier: a.identifier,
    status: a.status,
    expires: iso(a.expiresAt),
    challenges: a.challenges.map((c) => challengeJson(c, link)),
    ...(a.wildcard ? { wildcard: true } : {}),
  };
}

export function storedProblem(type: string, detail: string, status: number, subproblems?: StoredProblem['subproblems']): StoredProblem {
  return { type, detail, status, ...(subproblems && subproblems.length > 0 ? { subproblems } : {}) };
}
