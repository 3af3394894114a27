import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';
import { authenticateKid } from './authenticate.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';
import { parsePayload } from './jws.ts';
import { checkNewOrderLimits } from './rate-limits.ts';
import type { Account, Authorization, Challenge, ChallengeType, Identifier, Order } from './types.ts';
import { orderJson } from './wire.ts';

/** Challenge types offered per identifier: wildcards only dns-01 (RFC 8555 §7.1.3), IPs no dns-01 (RFC 8738 §7). */
function challengeTypesFor(identifier: Identifier, wildcard: boolean): ChallengeType[] {
  if (identifier.type === 'ip') return ['http-01', 'tls-alpn-01'];
  if (wildcard) return ['dns-01'];
  return ['http-01', 'dns-01', 'tls-alpn-01'];
}

function parseTime(value: unknown, field: string): number | null {
  if (value === undefined) return null;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new AppError('malformed', `"${field}" must be an RFC 3339 timestamp`);
  return ms;
}

/**
 * RFC 8555 §7.4 lets the server refuse a validity it will not issue (malformed). A notBefore is
 * refused beyond clock skew in the past (backdating hides when a certificate really came to be)
 * and before the issuing CA's own notBefore (the chain would claim validity it never had).
 */
function checkNotBefore(deps: AcmeDeps, notBefore: number): void {
  const now = deps.now();
  const earliest = now - deps.settings.maxBackdateMs;
  if (notBefore < earliest) {
    throw new AppError('malformed', `"notBefore" may be at most ${deps.settings.maxBackdateMs / 1000} s in the past (earliest ${new Date(earliest).toISOString()}); leave it out to start now`);
  }
  if (notBefore < deps.issuer.notBefore) {
    throw new AppError('malformed', `"notBefore" is before the issuing CA's own notBefore (${new Date(deps.issuer.notBefore).toISOString()}); leave it out to start now`);
  }
  if (notBefore > now + deps.settings.orderLifetimeMs) throw new AppError('malformed', '"notBefore" is too far in the future');
}

function checkValidity(deps: AcmeDeps, notBefore: number | null, notAfter: number | null): void {
  const now = deps.now();
  if (notBefore !== null) checkNotBefore(deps, notBefore);
  if (notAfter !== null && notAfter <= (notBefore ?? now)) throw new AppError('malformed', '"notAfter" must be after "notBefore" and in the future');
  if (notAfter !== null && notAfter - (notBefore ?? now) > deps.settings.maxValidityMs) {
    throw new AppError('malformed', `The requested validity exceeds the maximum of ${Math.floor(deps.settings.maxValidityMs / 86400000)} days`);
  }
}

function buildAuthorization(deps: AcmeDeps, order: Order, identifier: Identifier): Authorization {
  const wildcard = identifier.type === 'dns' && identifier.value.startsWith('*.');
  const base: Identifier = wildcard ? { type: 'dns', value: identifier.value.slice(2) } : identifier;
  const id = deps.newId();
  const challenges: Challenge[] = challengeTypesFor(identifier, wildcard).map((type) => ({
    id: deps.newId(),
    authzId: id,
    type,
    token: randomBytes(32).toString('base64url'),
    status: 'pending',
    validatedAt: null,
    error: null,
    validationRecord: null,
    updatedAt: order.createdAt,
    version: 1,
  }));
  return {
    id, orderId: order.id, accountId: order.accountId, identifier: base, wildcard, status: 'pending',
    expiresAt: order.expiresAt, createdAt: order.createdAt, version: 1, challenges,
  };
}

/** RFC 9773 §5: "replaces" must name a certificate of this account that was not replaced yet. */
async function checkReplaces(deps: AcmeDeps, account: Account, replaces: unknown, identifiers: Identifier[]): Promise<string | null> {
  if (replaces === undefined) return null;
  if (typeof replaces !== 'string') throw new AppError('malformed', '"replaces" must be a certificate identifier string');
  const cert = await deps.store.certificateByAriId(replaces);
  if (!cert || cert.accountId !== account.id) throw new AppError('malformed', `"replaces" names no certificate of this account (${replaces.slice(0, 100)})`);
  if (cert.replacedBy !== null) throw new AppError('alreadyReplaced', `Certificate ${replaces} was already replaced by another order`);
  const names = new Set(identifiers.map((i) => i.value));
  if (!cert.identifiers.some((i) => names.has(i.value))) throw new AppError('malformed', 'The replacement order shares no identifier with the replaced certificate');
  return replaces;
}

/** RFC 8555 §7.4 newOrder. */
export async function newOrder(deps: AcmeDeps, req: AcmeRequest): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  const payload = parsePayload(auth.payload);
  const identifiers = deps.policy.check(payload.identifiers);
  const notBefore = parseTime(payload.notBefore, 'notBefore');
  const notAfter = parseTime(payload.notAfter, 'notAfter');
  checkValidity(deps, notBefore, notAfter);
  const replaces = await checkReplaces(deps, auth.account, payload.replaces, identifiers);
  await checkNewOrderLimits(deps, auth.account.id, identifiers);
  const now = deps.now();
  const order: Order = {
    id: deps.newId(), accountId: auth.account.id, status: 'pending', identifiers, notBefore, notAfter,
    expiresAt: now + deps.settings.orderLifetimeMs, error: null, certificateId: null, replaces, createdAt: now, version: 1,
  };
  const authzs = identifiers.map((i) => buildAuthorization(deps, order, i));
  await deps.store.transaction((store) => store.insertOrder(order, authzs));
  return {
    status: 201,
    headers: { Location: req.linker.order(order.id) },
    json: orderJson(order, authzs.map((a) => a.id), req.linker),
  };
}
