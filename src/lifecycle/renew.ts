/**
 * One renewal attempt of one managed certificate: the `lifecycle-renew` job's work. The job is
 * unique per (certificate, renewal sequence), the sequence advances only when the attempt ends
 * (renewed or failed, in the transaction that records it), and the upstream order is stored as
 * soon as it exists, so a node killed mid-renewal leaves one order, which the retried job resumes.
 */
import type { Logger } from 'pino';
import { ariCertId } from '../acme/renewal-info.ts';
import { generateKeyPair, importPrivateKey, exportPkcs8, type CryptoKeyPair } from '../ca/keys.ts';
import { certSerialHex, pemToDer } from '../ca/pem.ts';
import { x509 } from '../ca/x509.ts';
import { renewalFailedCondition, renewedConditions } from './conditions.ts';
import { describeFailure } from './failure.ts';
import { orderBudget, RateBudgetWait } from './rate-budget.ts';
import type { LifecycleReport } from './report.ts';
import { backoffMs, policyRenewalTime } from './schedule.ts';
import { challengeTypeOf, solverFor } from './solvers.ts';
import type { LifecycleStore } from './store.ts';
import { orderCertificate, resumableOrder, upstreamAccount, upstreamTransport, type UpstreamDeps } from './upstream.ts';
import { pendingKeyAad, revisionKeyAad, type Issuer, type ManagedCertificate, type RenewalState } from './types.ts';

/** Certainty's own CA, as a local issuer uses it (the loaded `Authority`). */
export interface LocalSigner {
  /** The CA issuer that signs (its certificates' `issuer_id` in the inventory). */
  readonly issuerId: string;
  readonly authorityKeyId: Buffer;
  sign(input: { spki: Uint8Array; dnsNames: string[]; ipAddresses: string[]; notBefore: Date; notAfter: Date }): Promise<{ der: Buffer; chainPem: string }>;
}

export interface RenewDeps extends UpstreamDeps {
  log: Logger;
  local: LocalSigner | undefined;
  report: LifecycleReport;
  /** Queues the deploy jobs of a new revision in the transaction that records it. */
  onRenewed?: (store: LifecycleStore, cert: ManagedCertificate, revision: number) => Promise<void>;
}

/** What an attempt got; `localIssuerId` when this CA signed it (it then joins the CA's inventory). */
interface Issued { certPem: string; chainPem: string; pkcs8: Uint8Array; localIssuerId?: string }

async function keyFor(deps: RenewDeps, cert: ManagedCertificate): Promise<{ keys: CryptoKeyPair; pkcs8: Uint8Array }> {
  const { name, spec } = cert;
  let pkcs8: Uint8Array | undefined;
  if (spec.reuseKey && cert.currentRevision > 0) {
    const wrapped = await deps.store.revisionKey(name, cert.currentRevision);
    if (wrapped) pkcs8 = deps.kek.unwrap(wrapped, revisionKeyAad(name, cert.currentRevision));
  }
  if (pkcs8 === undefined) {
    const pending = await deps.store.pendingKey(name);
    if (pending) pkcs8 = deps.kek.unwrap(pending, pendingKeyAad(name));
  }
  if (pkcs8 === undefined) {
    const fresh = await exportPkcs8((await generateKeyPair(spec.keyType)).privateKey);
    pkcs8 = deps.kek.unwrap(await deps.store.insertPendingKey(name, deps.kek.wrap(fresh, pendingKeyAad(name))), pendingKeyAad(name));
  }
  const imported = await importPrivateKey(pkcs8);
  return { keys: { privateKey: imported.privateKey, publicKey: imported.publicKey }, pkcs8 };
}

async function issueLocally(deps: RenewDeps, cert: ManagedCertificate, keys: CryptoKeyPair): Promise<{ certPem: string; chainPem: string; localIssuerId: string }> {
  if (!deps.local) throw new Error('the local CA is not loaded on this node');
  const now = deps.now();
  const spki = new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', keys.publicKey));
  const ip = (n: string): boolean => /^[\d.]+$|:/.test(n);
  const signed = await deps.local.sign({
    spki, dnsNames: cert.spec.names.filter((n) => !ip(n)), ipAddresses: cert.spec.names.filter(ip),
    notBefore: new Date(now - 60_000), notAfter: new Date(now + cert.spec.policy.validityDays * 86_400_000),
  });
  return { certPem: new x509.X509Certificate(signed.der).toString('pem') + '\n', chainPem: signed.chainPem, localIssuerId: deps.local.issuerId };
}

async function issueUpstream(deps: RenewDeps, issuer: Issuer, cert: ManagedCertificate, keys: CryptoKeyPair, replaces: string | undefined): Promise<{ certPem: string; chainPem: string }> {
  const transport = upstreamTransport(issuer, deps.timeoutMs);
  // Set between taking a budget slot and the upstream's answer to newOrder.
  let placing = false;
  try {
    const client = await upstreamAccount(deps, issuer, transport);
    const existing = await resumableOrder(client, cert.pendingOrderUrl);
    return await orderCertificate(client, issuer, existing, {
      names: cert.spec.names, keys, replaces, challengeType: challengeTypeOf(cert.spec.solver),
      solver: solverFor(cert.spec.solver, { store: deps.store, managedName: cert.name, now: deps.now, kek: deps.kek, log: deps.log }),
      beforeOrder: async () => {
        const slot = await deps.store.takeOrderSlot(issuer.name, orderBudget(issuer.acme?.rateLimit));
        if (!slot.taken) {
          deps.report.upstreamOrder(issuer.name, 'waiting');
          throw new RateBudgetWait(issuer.name, slot.waitMs);
        }
        placing = true;
      },
      onOrder: async (url) => {
        placing = false;
        deps.report.upstreamOrder(issuer.name, 'created');
        await deps.store.setPendingOrder(cert.name, cert.renewalSeq, url);
      },
    });
  } catch (err) {
    if (placing) deps.report.upstreamOrder(issuer.name, 'refused');
    throw err;
  } finally {
    transport.close();
  }
}

/** The RFC 9773 identifier of a leaf, from its authority key identifier and serial. */
function ariIdOf(certPem: string): string | undefined {
  const leaf = new x509.X509Certificate(certPem);
  const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension);
  return aki?.keyId ? ariCertId(Buffer.from(aki.keyId, 'hex'), certSerialHex(certPem)) : undefined;
}

/**
 * Runs attempt `seq` of `name`; a stale job (the attempt already ended, or the certificate it was
 * queued for was removed and another added under its name since: `created` differs) does nothing.
 */
export async function runRenewal(deps: RenewDeps, name: string, seq: number, created?: number): Promise<void> {
  const cert = await deps.store.managed(name);
  if (!cert || cert.renewalSeq !== seq || (created !== undefined && cert.createdAt !== created)) return;
  const now = deps.now();
  if (cert.nextRenewalAt > now) {
    // Not due any more (the rules moved it): end this attempt so the next one can be queued.
    await deps.store.updateRenewalState(name, cert.version, cert, true);
    return;
  }
  const [current] = await deps.store.revisions(name);
  try {
    const issuer = await deps.store.issuer(cert.issuer);
    if (!issuer) throw new Error(`its issuer ${cert.issuer} no longer exists; add it again or point the certificate at another`);
    const { keys, pkcs8 } = await keyFor(deps, cert);
    const replaces = cert.ari !== undefined ? current?.ariId : undefined;
    const got = issuer.kind === 'local' ? await issueLocally(deps, cert, keys) : await issueUpstream(deps, issuer, cert, keys, replaces);
    await recordRevision(deps, cert, { ...got, pkcs8 }, replaces, issuer);
  } catch (err) {
    if (err instanceof RateBudgetWait) await recordWait(deps, cert, err);
    else await recordFailure(deps, cert, err, current?.notAfter);
  }
}

/** The issuer's budget is spent: the attempt ends without counting as a failure, and the next one is due at the next slot. */
async function recordWait(deps: RenewDeps, cert: ManagedCertificate, wait: RateBudgetWait): Promise<void> {
  deps.log.info({ managed: cert.name, issuer: wait.issuer, waitMs: wait.waitMs }, 'renewal waits for the issuer\'s rate budget');
  const fresh = await deps.store.managed(cert.name);
  if (!fresh || fresh.renewalSeq !== cert.renewalSeq) return;
  const state: RenewalState = { ...fresh, nextRenewalAt: deps.now() + wait.waitMs, renewalRule: 'rate-budget' };
  await deps.store.updateRenewalState(cert.name, fresh.version, state, true);
}

/** The row's version moved between the read and the write of recordRevisionOnce. */
class RevisionRaced extends Error {}

/** Tries of recordRevisionOnce: each loses only to a write that committed in between. */
const RECORD_ATTEMPTS = 5;

/**
 * Records the issued certificate as the new revision. The lifecycle duty may store a new ARI
 * window on the same row (its version) while this runs; that is no reason to call a renewal whose
 * order is complete failed (and order again), so the record is read and written once more.
 */
async function recordRevision(deps: RenewDeps, cert: ManagedCertificate, issued: Issued, replaces: string | undefined, issuer: Issuer): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await recordRevisionOnce(deps, cert, issued, replaces, issuer);
    } catch (err) {
      if (!(err instanceof RevisionRaced) || attempt >= RECORD_ATTEMPTS) throw err;
    }
  }
}

async function recordRevisionOnce(deps: RenewDeps, cert: ManagedCertificate, issued: Issued, replaces: string | undefined, issuer: Issuer): Promise<void> {
  const leaf = new x509.X509Certificate(pemToDer(issued.certPem, 'CERTIFICATE'));
  const serial = certSerialHex(issued.certPem);
  const notBefore = leaf.notBefore.getTime();
  const notAfter = leaf.notAfter.getTime();
  const now = deps.now();
  await deps.store.transaction(async (s) => {
    const fresh = await s.managed(cert.name);
    if (!fresh || fresh.renewalSeq !== cert.renewalSeq) return;
    const revision = fresh.currentRevision + 1;
    await s.insertRevision({
      managedName: cert.name, revision, serial, certPem: issued.certPem, chainPem: issued.chainPem, notBefore, notAfter,
      ariId: ariIdOf(issued.certPem), replaces, rule: fresh.renewalRule, createdAt: now, keyWrapped: deps.kek.wrap(issued.pkcs8, revisionKeyAad(cert.name, revision)),
    });
    if (issued.localIssuerId !== undefined) await recordLocal(s, cert, issued.localIssuerId, { revision, serial, certPem: issued.certPem, chainPem: issued.chainPem, notBefore, notAfter, now });
    await s.pruneRevisions(cert.name, cert.spec.revisionLimit);
    await s.deletePendingKey(cert.name);
    const state: RenewalState = {
      nextRenewalAt: policyRenewalTime({ notBefore, notAfter }, cert.spec.policy.renewWhenLeft, `${cert.name}:${serial}`), renewalRule: 'policy',
      // An ACME issuer is asked for ARI at once; the duty learns whether it offers it.
      ari: undefined, ariPollAt: issuer.kind === 'acme' ? now : undefined,
      failures: 0, lastOutcome: 'renewed', lastDetail: `revision ${revision} issued ${new Date(now).toISOString()} (serial ${serial})`, lastAttemptAt: now,
    };
    if (!(await s.setCurrentRevision(cert.name, fresh.version, revision, state))) throw new RevisionRaced(`managed certificate ${cert.name} changed while recording its renewal`);
    await deps.onRenewed?.(s, fresh, revision);
    await s.audit({
      actor: 'lifecycle', action: 'lifecycle.renewed', object: `managed:${cert.name}`, outcome: 'success',
      details: { revision, serial, notAfter: new Date(notAfter).toISOString(), rule: fresh.renewalRule, replaces: replaces ?? null },
    });
    await renewedConditions(s, cert.name, revision, serial, notAfter);
  });
  deps.log.info({ managed: cert.name, serial }, 'managed certificate renewed');
}

interface LocalRevision { revision: number; serial: string; certPem: string; chainPem: string; notBefore: number; notAfter: number; now: number }

/** A leaf this CA signed joins its inventory with the revision, so it can be listed and revoked like an ACME-issued one. */
async function recordLocal(s: LifecycleStore, cert: ManagedCertificate, issuerId: string, r: LocalRevision): Promise<void> {
  const ariId = ariIdOf(r.certPem);
  if (ariId === undefined) throw new Error(`the local CA signed ${cert.name} without an authority key identifier`);
  await s.recordLocalCertificate({
    managedName: cert.name, revision: r.revision, serial: r.serial, issuerId, der: Buffer.from(pemToDer(r.certPem, 'CERTIFICATE')), chainPem: r.chainPem,
    names: cert.spec.names, notBefore: r.notBefore, notAfter: r.notAfter, ariId, createdAt: r.now,
  });
}

async function recordFailure(deps: RenewDeps, cert: ManagedCertificate, err: unknown, currentNotAfter: number | undefined): Promise<void> {
  const { kind, detail } = describeFailure(err);
  const now = deps.now();
  deps.log.warn({ managed: cert.name, kind, detail }, 'managed certificate renewal failed');
  deps.report.renewalFailed(cert.name);
  await deps.store.transaction(async (s) => {
    const fresh = await s.managed(cert.name);
    if (!fresh || fresh.renewalSeq !== cert.renewalSeq) return;
    const failures = fresh.failures + 1;
    const wait = backoffMs(kind, failures, currentNotAfter === undefined ? undefined : currentNotAfter - now);
    const state: RenewalState = { ...fresh, nextRenewalAt: now + wait, renewalRule: 'backoff', failures, lastOutcome: 'failed', lastDetail: detail, lastAttemptAt: now };
    if (!(await s.updateRenewalState(cert.name, fresh.version, state, true))) throw new Error(`managed certificate ${cert.name} changed while recording its failure`);
    await s.audit({ actor: 'lifecycle', action: 'lifecycle.renewal-failed', object: `managed:${cert.name}`, outcome: 'failure', details: { kind, failures, detail } });
    await renewalFailedCondition(s, cert.name, detail, state.nextRenewalAt);
  });
}
