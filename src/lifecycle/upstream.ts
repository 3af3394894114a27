/**
 * Ordering from an upstream ACME CA: the account (created on first use, key wrapped by the KEK),
 * the order (resumed after a crash rather than placed twice), the chain the issuer prefers.
 */
import { exportJWK, importJWK, type JWK } from 'jose';
import { AcmeClient, AcmeTransport, type AcmeKey, type AcmeOrder, type ChallengeSolver } from '../acme-client/client.ts';
import { generateAcmeKey } from '../acme-client/client.ts';
import type { CryptoKeyPair } from '../ca/keys.ts';
import { splitPemChain } from '../ca/pem.ts';
import { x509 } from '../ca/x509.ts';
import type { Kek } from '../kek/kek.ts';
import type { LifecycleStore } from './store.ts';
import { accountKeyAad, eabAad, type Issuer } from './types.ts';

export interface UpstreamDeps {
  store: LifecycleStore;
  kek: Kek;
  now: () => number;
  /** Upstream request timeout; orders poll for at most `pollTimeoutMs`. */
  timeoutMs: number;
  pollTimeoutMs: number;
}

/** A transport to the issuer's directory, trusting its bundle when it has one. Close it after use. */
export function upstreamTransport(issuer: Issuer, timeoutMs: number): AcmeTransport {
  const acme = issuer.acme;
  if (!acme) throw new Error(`issuer ${issuer.name} is not an ACME issuer`);
  return new AcmeTransport({ directoryUrl: acme.directoryUrl, timeoutMs, maxSockets: 4, ...(acme.trustPem === undefined ? {} : { ca: acme.trustPem }) });
}

export async function keyFromJwk(jwk: JWK): Promise<AcmeKey> {
  const alg = jwk.alg ?? 'ES256';
  const privateKey = await importJWK(jwk, alg, { extractable: true }) as AcmeKey['privateKey'];
  const { d: _d, ...pub } = jwk;
  const publicKey = await importJWK({ ...pub }, alg, { extractable: true }) as AcmeKey['publicKey'];
  return { privateKey, publicKey, jwk: await exportJWK(publicKey), alg };
}

/**
 * The issuer's account: loaded, or created on first use (with EAB when the issuer has it). The key
 * is stored before the account is registered, and whoever registers uses the stored one: the
 * first orders of a fleet, on every node at once, all register that one key, and an ACME server
 * answers a key it knows with the account it already has (RFC 8555 §7.3.1). So a fleet added at
 * once makes one upstream account, not one per certificate.
 */
export async function upstreamAccount(deps: UpstreamDeps, issuer: Issuer, transport: AcmeTransport): Promise<AcmeClient> {
  const poll = { timeoutMs: deps.pollTimeoutMs, maxIntervalMs: 2000, maxRetryAfterMs: 10_000 };
  const aad = accountKeyAad(issuer.name);
  const stored = await deps.store.account(issuer.name) ?? await deps.store.insertAccount(issuer.name, '', await wrapAccountKey(deps.kek, await generateAcmeKey('ES256'), aad), deps.now());
  const client = new AcmeClient(transport, await keyFromJwk(JSON.parse(deps.kek.unwrap(stored.keyWrapped, aad).toString('utf8')) as JWK), poll);
  if (stored.url !== '') {
    client.accountUrl = stored.url;
    return client;
  }
  const wrapped = await deps.store.eabHmacWrapped(issuer.name);
  const eab = wrapped && issuer.acme?.eabKid ? { kid: issuer.acme.eabKid, hmacKey: deps.kek.unwrap(wrapped, eabAad(issuer.name)).toString('base64url') } : undefined;
  await client.createAccount({ contact: issuer.acme?.contact ?? [], ...(eab ? { eab } : {}) });
  await deps.store.recordAccountUrl(issuer.name, client.accountUrl as string);
  return client;
}

/** An account key as stored: its private JWK (with `alg`), wrapped by the KEK under `aad`. */
export async function wrapAccountKey(kek: Kek, key: AcmeKey, aad: string): Promise<Buffer> {
  return kek.wrap(Buffer.from(JSON.stringify({ ...(await exportJWK(key.privateKey)), alg: key.alg })), aad);
}

/** The order in flight when it can still be finished, else undefined. */
export async function resumableOrder(client: AcmeClient, url: string | undefined): Promise<AcmeOrder | undefined> {
  if (url === undefined) return undefined;
  try {
    const res = await client.signedPost(url, '');
    const order = { ...res.body, url } as AcmeOrder;
    return ['pending', 'ready', 'processing', 'valid'].includes(order.status) ? order : undefined;
  } catch {
    return undefined;
  }
}

export interface OrderInput {
  names: string[];
  keys: CryptoKeyPair;
  solver: ChallengeSolver;
  challengeType: 'http-01' | 'dns-01';
  replaces: string | undefined;
  /** Called before a new order is placed (not when one is resumed): takes a slot of the issuer's budget, or throws. */
  beforeOrder: () => Promise<void>;
  /** Called with the new order's URL before any authorization, so a crash resumes it. */
  onOrder: (url: string) => Promise<void>;
}

/** Orders (or resumes) and downloads; returns the leaf and its chain, the preferred chain when the issuer names one. */
export async function orderCertificate(client: AcmeClient, issuer: Issuer, existing: AcmeOrder | undefined, input: OrderInput): Promise<{ certPem: string; chainPem: string }> {
  let order = existing;
  if (!order) {
    const opts = { ...(input.replaces === undefined ? {} : { replaces: input.replaces }), ...(issuer.acme?.profile === undefined ? {} : { profile: issuer.acme.profile }) };
    await input.beforeOrder();
    order = await client.newOrder(input.names, opts);
    await input.onOrder(order.url);
  }
  const { order: done } = await client.completeOrder(order, { challengeType: input.challengeType, solver: input.solver, csrKeys: input.keys });
  if (!done.certificate) throw new Error(`${order.url}: valid order without a certificate URL`);
  const chains = await client.downloadCertificateChains(done.certificate);
  const pem = preferredChain(chains, issuer.acme?.preferredChain);
  const [leaf, ...rest] = splitPemChain(pem);
  if (leaf === undefined) throw new Error(`${done.certificate}: the upstream returned no certificate`);
  return { certPem: leaf, chainPem: rest.join('') };
}

/** The chain whose top certificate's issuer (or subject) common name is `preferred`; the default otherwise. */
function preferredChain(chains: string[], preferred: string | undefined): string {
  const first = chains[0] ?? '';
  if (preferred === undefined) return first;
  const match = chains.find((pem) => {
    const top = splitPemChain(pem).at(-1);
    if (top === undefined) return false;
    const cert = new x509.X509Certificate(top);
    return [cert.issuerName, cert.subjectName].some((n) => n.getField('CN').includes(preferred));
  });
  return match ?? first;
}
