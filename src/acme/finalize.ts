import { canonicalIp } from '../ca/ip.ts';
import { AppError } from '../errors.ts';
import { checkKeyPolicy, parseCsr, type ParsedCsr } from '../ca/csr.ts';
import { authenticateKid } from './authenticate.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';
import { parsePayload, thumbprint } from './jws.ts';
import { authorizationIds, effectiveOrder, orderOwnedBy, orderResponse } from './order.ts';
import { ariCertId } from './renewal-info.ts';
import type { Account, IssuedCertificate, Order } from './types.ts';

function notReady(order: Order): AppError {
  const why: Record<Order['status'], string> = {
    pending: 'its authorizations are not all valid yet; answer the challenges first',
    ready: '',
    processing: 'it is already being finalized',
    valid: 'it was already finalized; download the certificate',
    invalid: 'it is invalid; create a new order',
  };
  return new AppError('orderNotReady', `The order cannot be finalized: ${why[order.status]} (status "${order.status}")`);
}

async function readCsr(deps: AcmeDeps, payload: Record<string, unknown>): Promise<ParsedCsr> {
  if (typeof payload.csr !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload.csr)) {
    throw new AppError('malformed', '"csr" must be the base64url-encoded DER of a PKCS#10 request');
  }
  const csr = await parseCsr(Buffer.from(payload.csr, 'base64url'));
  checkKeyPolicy(csr.publicKey, deps.settings.key);
  return csr;
}

/**
 * RFC 8555 §11.1: the certificate key must not be the account key. Keys are compared, not their
 * encodings: the same EC point can be sent compressed or uncompressed, so both sides are reduced
 * to their RFC 7638 JWK thumbprint (the account's is stored).
 */
async function checkNotAccountKey(csr: ParsedCsr, account: Account): Promise<void> {
  const jwk = csr.key.export({ format: 'jwk' });
  if ((await thumbprint(jwk)) === account.thumbprint) {
    throw new AppError('badCSR', 'The CSR public key must not be the account key; generate a separate certificate key');
  }
}

/** RFC 8555 §7.4: the CSR must name exactly the order's identifiers. */
function checkCsrMatches(csr: ParsedCsr, order: Order): void {
  const wanted = new Set(order.identifiers.map((i) => `${i.type}:${i.value}`));
  const got = new Set([...csr.dnsNames.map((n) => `dns:${n}`), ...csr.ipAddresses.map((ip) => `ip:${ip}`)]);
  if (csr.commonName !== undefined) {
    // The subject CN, if any, counts as one more name (it must be one of the identifiers too).
    const ip = canonicalIp(csr.commonName);
    got.add(ip === undefined ? `dns:${csr.commonName.toLowerCase()}` : `ip:${ip}`);
  }
  const missing = [...wanted].filter((x) => !got.has(x));
  const extra = [...got].filter((x) => !wanted.has(x));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0 ? `missing ${missing.map((x) => x.replace(/^\w+:/, '')).join(', ')}` : '',
      extra.length > 0 ? `not in the order: ${extra.map((x) => x.replace(/^\w+:/, '')).join(', ')}` : '',
    ].filter((p) => p !== '');
    throw new AppError('badCSR', `The CSR names must be exactly the order's identifiers (${parts.join('; ')})`);
  }
}

/**
 * The CSR checks that need no order. They run while the order is read and locked, but their
 * error is raised only after the order's own (not found, not ready), as if they ran after.
 */
async function checkedCsr(deps: AcmeDeps, payload: Buffer, account: Account): Promise<ParsedCsr> {
  const csr = await readCsr(deps, parsePayload(payload));
  await checkNotAccountKey(csr, account);
  return csr;
}

/**
 * RFC 8555 §7.4 finalize: checks the CSR, signs, and records certificate and order in one
 * transaction. The order is read only once, locked, in that transaction.
 */
export async function finalize(deps: AcmeDeps, req: AcmeRequest, id: string): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  const csr = checkedCsr(deps, auth.payload, auth.account);
  csr.catch(() => undefined);
  // Read while the transaction runs rather than after it (an order's authorizations never change);
  // shown only once the order proved to be this account's.
  const authzIds = authorizationIds(deps, id);
  authzIds.catch(() => undefined);
  const finished = await deps.store.transaction(async (store) => {
    const locked = effectiveOrder(orderOwnedBy(auth, await store.lockOrder(id)), deps.now());
    if (locked.status !== 'ready') throw notReady(locked);
    const parsed = await csr;
    checkCsrMatches(parsed, locked);
    const cert = await signFor(deps, locked, parsed);
    await store.insertCertificate(cert);
    if (locked.replaces !== null) {
      const old = await store.certificateByAriId(locked.replaces);
      if (old && !(await store.markReplaced(old.id, locked.id))) throw new AppError('alreadyReplaced', `Certificate ${locked.replaces} was already replaced`);
    }
    const done: Order = { ...locked, status: 'valid', certificateId: cert.id };
    if (!(await store.updateOrder(done))) throw new AppError('conflict', 'The order changed concurrently; retry');
    // The issuance and its audit records commit together, or not at all.
    const actor = `account:${done.accountId}`;
    await store.audit({
      actor, action: 'certificate.issued', object: `certificate:${cert.serial}`, outcome: 'success',
      details: { order: done.id, names: cert.identifiers.map((i) => i.value), notAfter: new Date(cert.notAfter).toISOString(), issuer: cert.issuerId },
    });
    await store.audit({ actor, action: 'order.finalized', object: `order:${done.id}`, outcome: 'success', details: { certificate: cert.serial } });
    return { ...done, version: done.version + 1 };
  });
  return orderResponse(deps, req, finished, authzIds);
}

/**
 * The validity to sign. newOrder bounded a requested notBefore, but an order may be finalized days
 * later, so the bounds are applied again at signing (and the issuer clamps to its own notBefore
 * as the last guard). Without a request the server backdates 60 s for clients with slow clocks.
 */
function validityFor(deps: AcmeDeps, order: Order, now: number): { notBefore: number; notAfter: number } {
  const notBefore = Math.max(order.notBefore ?? now - 60_000, now - deps.settings.maxBackdateMs, deps.issuer.notBefore);
  const notAfter = order.notAfter ?? notBefore + deps.settings.defaultValidityMs;
  if (notAfter <= notBefore) {
    throw new AppError('malformed', `The order's "notAfter" (${new Date(notAfter).toISOString()}) has passed; create a new order`);
  }
  return { notBefore, notAfter };
}

async function signFor(deps: AcmeDeps, order: Order, csr: ParsedCsr): Promise<IssuedCertificate> {
  const now = deps.now();
  const { notBefore, notAfter } = validityFor(deps, order, now);
  const signed = await deps.issuer.sign({
    spki: csr.publicKey.spkiDer,
    dnsNames: order.identifiers.filter((i) => i.type === 'dns').map((i) => i.value),
    ipAddresses: order.identifiers.filter((i) => i.type === 'ip').map((i) => i.value),
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
  return {
    id: deps.newId(), serial: signed.serial, accountId: order.accountId, orderId: order.id, issuerId: deps.issuer.issuerId,
    der: signed.der, chainPem: signed.chainPem, identifiers: order.identifiers, notBefore: signed.notBefore, notAfter: signed.notAfter,
    ariId: ariCertId(deps.issuer.authorityKeyId, signed.serial), replacedBy: null, revokedAt: null, revocationReason: null, createdAt: now,
  };
}
