import { flattenedVerify, type JWK } from 'jose';
import { AppError } from '../errors.ts';
import { authenticateJwk } from './authenticate.ts';
import { checkContacts } from './contacts.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';
import { parsePayload, publicJwk, thumbprint } from './jws.ts';
import { addressGroup, checkNewAccountLimits } from './rate-limits.ts';
import type { Account } from './types.ts';
import { accountJson } from './wire.ts';

const EAB_ALGS = ['HS256', 'HS384', 'HS512'];

/** Rolls the new account's transaction back when a request with the same key created its account first. */
class KeyTaken extends Error {
  constructor() {
    super('an account with this key was created concurrently');
  }
}
/**
 * EAB failures need no prior authentication (any key signs the outer JWS), so each one is not an
 * audit record: per key id (all unknown ids share one), the first failure of a minute is recorded
 * with the number since the previous record, the rest only counted, bounding the audit log.
 */
const EAB_FAILURE_WINDOW_MS = 60_000;

/** RFC 8555 §7.3 newAccount, with onlyReturnExisting and External Account Binding (§7.3.4). */
export async function newAccount(deps: AcmeDeps, req: AcmeRequest): Promise<AcmeResponse> {
  const signed = await authenticateJwk(deps, req);
  const payload = parsePayload(signed.payload);
  const print = await thumbprint(signed.jwk);
  const existing = await deps.store.accountByThumbprint(print);
  if (existing) {
    // RFC 8555 §7.3.1: an existing account is returned with 200 and its Location.
    if (existing.status !== 'valid') throw new AppError('unauthorized', `The account for this key is ${existing.status}`);
    return { status: 200, headers: { Location: req.linker.account(existing.id) }, json: accountJson(existing, req.linker) };
  }
  if (payload.onlyReturnExisting === true) throw new AppError('accountDoesNotExist', 'No account exists for this key (onlyReturnExisting was set)');
  const origin = addressGroup(req.clientAddress);
  await checkNewAccountLimits(deps, origin);
  if (deps.settings.termsOfService !== undefined && payload.termsOfServiceAgreed !== true) {
    throw new AppError('malformed', `You must agree to the terms of service (${deps.settings.termsOfService}): set "termsOfServiceAgreed": true`);
  }
  const contact = checkContacts(payload.contact);
  const eabKid = payload.externalAccountBinding === undefined
    ? undefined
    : await verifyEab(deps, req, payload.externalAccountBinding, print);
  if (deps.settings.externalAccountRequired && eabKid === undefined) {
    throw new AppError('externalAccountRequired', 'This server requires External Account Binding: ask your administrator for an EAB key id and HMAC key');
  }
  const account: Account = {
    id: deps.newId(),
    thumbprint: print,
    jwk: publicJwk(signed.jwk),
    status: 'valid',
    contact,
    eabKid: eabKid ?? null,
    createdAt: deps.now(),
    version: 1,
  };
  try {
    await deps.store.transaction(async (store) => {
      // The key first: a request racing another with the same key (and the same EAB key id) learns
      // that the key is taken, and answers with that account, rather than that its EAB key is used.
      if (!(await store.insertAccount(account))) throw new KeyTaken();
      if (eabKid !== undefined && !(await store.bindEabKey(eabKid, account.id))) {
        throw new AppError('unauthorized', `EAB key "${eabKid}" was already used by another account`);
      }
      await store.insertAccountOrigin(account.id, origin, account.createdAt);
      const actor = `account:${account.id}`;
      await store.audit({ actor, action: 'account.created', object: actor, outcome: 'success', details: { keyThumbprint: print } });
      if (eabKid !== undefined) await store.audit({ actor, action: 'eab.used', object: `eab:${eabKid}`, outcome: 'success' });
    });
  } catch (err) {
    // Two requests with the same new key raced; the loser answers with the winner's account.
    const winner = err instanceof KeyTaken ? await deps.store.accountByThumbprint(print) : undefined;
    if (!winner) throw err;
    return { status: 200, headers: { Location: req.linker.account(winner.id) }, json: accountJson(winner, req.linker) };
  }
  return { status: 201, headers: { Location: req.linker.account(account.id) }, json: accountJson(account, req.linker) };
}

async function verifyEab(deps: AcmeDeps, req: AcmeRequest, eab: unknown, accountThumbprint: string): Promise<string> {
  if (typeof eab !== 'object' || eab === null) throw new AppError('malformed', '"externalAccountBinding" must be a flattened JWS object');
  const jws = eab as { protected?: unknown; payload?: unknown; signature?: unknown };
  if (typeof jws.protected !== 'string' || typeof jws.payload !== 'string' || typeof jws.signature !== 'string') {
    throw new AppError('malformed', '"externalAccountBinding" must have protected, payload and signature strings');
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new AppError('malformed', 'The externalAccountBinding protected header is not base64url JSON');
  }
  if (!EAB_ALGS.includes(String(header.alg))) throw new AppError('badSignatureAlgorithm', `EAB must be signed with ${EAB_ALGS.join(', ')}`);
  if (header.nonce !== undefined) throw new AppError('malformed', 'The externalAccountBinding must not carry a nonce');
  if (header.url !== req.linker.newAccount()) throw new AppError('unauthorized', 'The externalAccountBinding "url" must be the newAccount URL');
  const kid = header.kid;
  if (typeof kid !== 'string') throw new AppError('malformed', 'The externalAccountBinding has no "kid"');
  const key = await deps.eab.hmacKey(kid);
  const refuse = async (detail: string, cause?: unknown): Promise<never> => {
    const fold = await deps.store.foldOccurrence(`eab.used:${key ? kid : '(unknown)'}`, EAB_FAILURE_WINDOW_MS, deps.now());
    if (fold.first) {
      const details = { reason: detail, unrecordedBefore: Math.max(0, fold.previous - 1) };
      await deps.audit.record(undefined, { actor: `key:${accountThumbprint}`, action: 'eab.used', object: `eab:${kid.slice(0, 64)}`, outcome: 'failure', details });
    }
    throw new AppError('unauthorized', detail, cause === undefined ? {} : { cause });
  };
  if (!key) return refuse(`EAB key "${kid.slice(0, 64)}" is unknown, revoked or already used`);
  let bound: JWK;
  try {
    const verified = await flattenedVerify(jws as { protected: string; payload: string; signature: string }, key, { algorithms: EAB_ALGS });
    bound = JSON.parse(Buffer.from(verified.payload).toString('utf8')) as JWK;
  } catch (err) {
    return refuse('The externalAccountBinding signature does not verify with this EAB key', err);
  }
  if ((await thumbprint(bound).catch(() => '')) !== accountThumbprint) {
    return refuse('The externalAccountBinding payload must be the account key ("jwk") of the outer request');
  }
  return kid;
}
