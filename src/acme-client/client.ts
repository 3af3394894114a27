// A small ACME (RFC 8555) client. `AcmeTransport` sends exactly what protocol tests ask, bad
// input included, and returns error answers; `AcmeClient` runs the flows a real client runs.
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { KeyObject, createHash, sign, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlattenedSign, base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Identifier } from '../ca/identifier.ts';
import { x509 } from '../ca/x509.ts';
import { httpRequest, keepAliveAgent } from '../http-client.ts';
import type { ChallengeType } from '../validation/types.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
// Tests read arbitrary fields of resources and problem documents; `any` keeps them short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A signing key: `privateKey` signs, the public `jwk` goes into `jwk` headers, `alg` into `alg`. */
export interface AcmeKey { privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK; alg: string }
/** RFC 7807 problem document as ACME uses it (RFC 8555 §6.7). */
export interface AcmeProblem { type: string; detail?: string; status?: number; subproblems?: AcmeProblem[] }
/** An HTTP answer as received; `body` is the parsed JSON when the content type says JSON. */
export interface AcmeResponse { status: number; headers: IncomingHttpHeaders; body: Json; text: string }
export interface FlattenedJws { protected: string; payload: string; signature: string }
/**
 * `payload`: an object is JSON-encoded, `''` is POST-as-GET (§6.3), another string is sent as is.
 * Without `kid` (the account URL) the public key goes in `jwk` (§6.2). `protectedOverrides` are
 * merged last; a key set to `undefined` is removed (e.g. `nonce`). `nonce` defaults to one kept
 * from an earlier answer, else a fresh one.
 */
export interface SignJwsInput {
  url: string; payload: object | string; key: AcmeKey; kid?: string; protectedOverrides?: Record<string, unknown>; nonce?: string;
}
export interface TransportOptions { directoryUrl: string; ca?: string | string[]; timeoutMs?: number; maxSockets?: number }
export interface AcmeOrder {
  url: string; status: string; identifiers: Identifier[]; authorizations: string[]; finalize: string;
  certificate?: string; error?: AcmeProblem; expires?: string;
}
/** Puts a challenge response where the server will look for it (RFC 8555 §8.3, §8.4). */
export interface ChallengeSolver {
  present(type: string, identifier: Identifier, token: string, keyAuthorization: string): Promise<void>;
  cleanup(type: string, identifier: Identifier, token: string, keyAuthorization: string): Promise<void>;
}
/** Polls back off from `minIntervalMs` to `maxIntervalMs`; Retry-After wins, up to `maxRetryAfterMs`. */
export interface PollOptions { timeoutMs?: number; minIntervalMs?: number; maxIntervalMs?: number; maxRetryAfterMs?: number }
/** External account binding credentials (§7.3.4); `hmacKey` is base64url. */
export interface EabCredentials { kid: string; hmacKey: string }
export interface IssueOptions {
  identifiers: ReadonlyArray<string | Identifier>; challengeType: Extract<ChallengeType, 'http-01' | 'dns-01'>; solver: ChallengeSolver; csrKeys?: CryptoKeyPair;
}

const BAD_NONCE = 'urn:ietf:params:acme:error:badNonce';
const BAD_NONCE_RETRIES = 3;
const MAX_POOLED_NONCES = 256;
const DEAD_STATUSES = ['invalid', 'deactivated', 'revoked', 'expired'];

/** A failed ACME request, or an object that ended `invalid`; `type` is the problem type. */
export class AcmeError extends Error {
  readonly type: string;
  constructor(readonly status: number, readonly problem: AcmeProblem | undefined, readonly url: string) {
    super(`${url}: ${problem?.type ?? `HTTP ${status}`}${problem?.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'AcmeError';
    this.type = problem?.type ?? `http:${status}`;
  }
}

export async function generateAcmeKey(alg = 'ES256'): Promise<AcmeKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicKey, jwk: await exportJWK(publicKey), alg };
}

/** The TXT record value for dns-01 (RFC 8555 §8.4). */
export function dns01TxtValue(keyAuthorization: string): string {
  return createHash('sha256').update(keyAuthorization).digest('base64url');
}

/** Strings become `ip` identifiers when they are IP addresses (RFC 8738), `dns` otherwise. */
function toIdentifiers(names: ReadonlyArray<string | Identifier>): Identifier[] {
  return names.map((n) => (typeof n === 'string' ? { type: isIP(n) ? 'ip' : 'dns', value: n } : n));
}

/** A PKCS#10 CSR (DER) naming the identifiers, with a fresh ECDSA P-256 key unless one is given. */
export async function createCsr(identifiers: Identifier[], keys?: CryptoKeyPair): Promise<{ der: Uint8Array; keys: CryptoKeyPair }> {
  const pair = keys ?? await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const cn = identifiers.find((i) => i.type === 'dns' && i.value.length <= 64);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(cn ? { name: `CN=${cn.value}` } : {}),
    keys: pair,
    signingAlgorithm: csrSigningAlgorithm(pair.privateKey),
    extensions: [new x509.SubjectAlternativeNameExtension(identifiers.map((i) => ({ type: i.type, value: i.value })))],
  });
  return { der: new Uint8Array(csr.rawData), keys: pair };
}

/** The CSR's signature algorithm for its own key: ECDSA with the curve's hash, RSA with SHA-256. */
function csrSigningAlgorithm(key: CryptoKey): { name: string; hash: string } {
  const a = key.algorithm as { name: string; namedCurve?: string };
  if (a.name !== 'ECDSA') return { name: a.name, hash: 'SHA-256' };
  return { name: 'ECDSA', hash: a.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' };
}

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/**
 * Signs with the key's own algorithm (ECDSA, RSASSA-PKCS1-v1_5, EdDSA) whatever `alg` says, so
 * tests can send mismatched headers. node:crypto's one-shot sign costs a fraction of WebCrypto's,
 * which counts when the benchmark's client shares two cores with the server it measures.
 */
function rawSign(key: CryptoKey, data: Uint8Array): Uint8Array {
  const keyObject = keyObjects.get(key) ?? KeyObject.from(key);
  keyObjects.set(key, keyObject);
  const a = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  if (a.name !== 'ECDSA') return sign(a.hash ? a.hash.name.replace('-', '').toLowerCase() : null, data, keyObject);
  const hash = a.namedCurve === 'P-384' ? 'sha384' : a.namedCurve === 'P-521' ? 'sha512' : 'sha256';
  return sign(hash, data, { key: keyObject, dsaEncoding: 'ieee-p1363' });
}

/** Retry-After in milliseconds, from delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isNaN(ms) ? undefined : Math.max(0, ms);
}

/** Low level: sends exactly what it is asked and returns error answers rather than throwing. */
export class AcmeTransport {
  readonly directoryUrl: string;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly nonces: string[] = [];
  private directory: Promise<Record<string, Json>> | undefined;

  constructor(opts: TransportOptions) {
    this.directoryUrl = opts.directoryUrl;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.agent = keepAliveAgent(opts.directoryUrl, { ca: opts.ca, maxSockets: opts.maxSockets ?? 64 });
  }

  /** The directory (§7.1.1), fetched once (again after a failure). */
  getDirectory(): Promise<Record<string, Json>> {
    this.directory ??= this.request('GET', this.directoryUrl).then((r) => {
      if (r.status !== 200) throw new AcmeError(r.status, r.body, this.directoryUrl);
      return r.body;
    });
    this.directory.catch(() => { this.directory = undefined; });
    return this.directory;
  }

  /** The URL of a directory resource such as `newOrder`. */
  async url(resource: string): Promise<string> {
    const u: unknown = (await this.getDirectory())[resource];
    if (typeof u !== 'string') throw new Error(`the directory has no ${resource}`);
    return u;
  }

  /** A fresh nonce from newNonce (HEAD, §7.2), not added to the pool. */
  async newNonce(): Promise<string> {
    const r = await this.send('HEAD', await this.url('newNonce'));
    const n = r.headers['replay-nonce'];
    if (typeof n !== 'string' || !n) throw new Error(`newNonce: HTTP ${r.status} without Replay-Nonce`);
    return n;
  }

  /** A nonce kept from an earlier answer, or a fresh one. */
  async takeNonce(): Promise<string> { return this.nonces.pop() ?? this.newNonce(); }

  /** A flattened JWS (§6.2): `alg`, `nonce`, `url`, `jwk` or `kid`, then the overrides. */
  async signJws(input: SignJwsInput): Promise<FlattenedJws> {
    const overrides = input.protectedOverrides ?? {};
    const header: Record<string, unknown> = { alg: input.key.alg, url: input.url };
    if (!('nonce' in overrides)) header['nonce'] = input.nonce ?? await this.takeNonce();
    if (input.kid === undefined) header['jwk'] = input.key.jwk; else header['kid'] = input.kid;
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete header[k]; else header[k] = v;
    }
    const prot = base64url.encode(JSON.stringify(header));
    const payload = base64url.encode(typeof input.payload === 'string' ? input.payload : JSON.stringify(input.payload));
    const signature = rawSign(input.key.privateKey, Buffer.from(`${prot}.${payload}`));
    return { protected: prot, payload, signature: base64url.encode(signature) };
  }

  /** POSTs `body` (a string as is, anything else as JSON); never throws on HTTP error statuses. */
  post(url: string, body: unknown, opts: { contentType?: string; accept?: string } = {}): Promise<AcmeResponse> {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/jose+json' };
    if (opts.accept) headers['accept'] = opts.accept;
    return this.request('POST', url, typeof body === 'string' ? body : JSON.stringify(body), headers);
  }

  /** Any request; the answer's Replay-Nonce is kept for the next signature. */
  async request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<AcmeResponse> {
    const r = await this.send(method, url, body, headers);
    const n = r.headers['replay-nonce'];
    if (typeof n === 'string' && n && this.nonces.push(n) > MAX_POOLED_NONCES) this.nonces.shift();
    return r;
  }

  close(): void { this.agent.destroy(); }

  private async send(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<AcmeResponse> {
    const res = await httpRequest(url, { method, headers, agent: this.agent, timeoutMs: this.timeoutMs, ...(body === undefined ? {} : { body }) });
    const text = res.body.toString('utf8');
    let parsed: unknown;
    try { parsed = text && /json/i.test(res.headers['content-type'] ?? '') ? JSON.parse(text) : undefined; } catch { /* see `text` */ }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }
}

/** High level: one account and the RFC 8555 flows; problems are thrown as `AcmeError`. */
export class AcmeClient {
  accountUrl: string | undefined;
  private currentKey: AcmeKey | undefined;
  private thumbprint: string | undefined;

  constructor(readonly transport: AcmeTransport, key?: AcmeKey, readonly pollDefaults: PollOptions = {}) {
    this.currentKey = key;
  }

  get key(): AcmeKey {
    if (this.currentKey) return this.currentKey;
    throw new Error('no account key: call createAccount() first');
  }

  /** Signed POST (`kid` once the account exists, else `jwk`); badNonce is retried up to 3 times (§6.5). */
  async signedPost(url: string, payload: object | string, opts: { accept?: string; key?: AcmeKey } = {}): Promise<AcmeResponse> {
    const key = opts.key ?? this.key;
    const kid = opts.key ? undefined : this.accountUrl;
    for (let attempt = 0; ; attempt++) {
      const jws = await this.transport.signJws({ url, payload, key, ...(kid === undefined ? {} : { kid }) });
      const res = await this.transport.post(url, jws, opts.accept ? { accept: opts.accept } : {});
      if (res.status < 400) return res;
      if (res.body?.type !== BAD_NONCE || attempt >= BAD_NONCE_RETRIES) throw new AcmeError(res.status, res.body, url);
    }
  }

  /** newAccount (§7.3), with an ES256 key unless the client was given one. */
  async createAccount(opts: { contact?: string[]; eab?: EabCredentials; onlyReturnExisting?: boolean } = {}): Promise<Json> {
    this.currentKey ??= await generateAcmeKey('ES256');
    const url = await this.transport.url('newAccount');
    const payload: Record<string, unknown> = { termsOfServiceAgreed: true };
    if (opts.contact) payload['contact'] = opts.contact;
    if (opts.onlyReturnExisting) payload['onlyReturnExisting'] = true;
    if (opts.eab) payload['externalAccountBinding'] = await this.externalAccountBinding(url, opts.eab);
    this.accountUrl = undefined;
    const res = await this.signedPost(url, payload);
    const location = res.headers['location'];
    if (!location) throw new Error(`newAccount: HTTP ${res.status} without Location`);
    this.accountUrl = location;
    return { ...res.body, url: location };
  }

  /** §7.3.4: an HS256 JWS over the account's public JWK, keyed by the MAC key, for newAccount's URL. */
  async externalAccountBinding(newAccountUrl: string, eab: EabCredentials): Promise<FlattenedJws> {
    const jws = await new FlattenedSign(Buffer.from(JSON.stringify(this.key.jwk)))
      .setProtectedHeader({ alg: 'HS256', kid: eab.kid, url: newAccountUrl })
      .sign(base64url.decode(eab.hmacKey));
    return { protected: jws.protected ?? '', payload: jws.payload, signature: jws.signature };
  }

  /** `replaces` (RFC 9773 §5) names the certificate this order renews; `profile` is the CA's profile name. */
  async newOrder(identifiers: ReadonlyArray<string | Identifier>, opts: { replaces?: string; profile?: string } = {}): Promise<AcmeOrder> {
    const res = await this.signedPost(await this.transport.url('newOrder'), { identifiers: toIdentifiers(identifiers), ...opts });
    if (!res.headers['location']) throw new Error(`newOrder: HTTP ${res.status} without Location`);
    return { ...res.body, url: res.headers['location'] };
  }

  async getAuthorization(url: string): Promise<Json> { return (await this.signedPost(url, '')).body; }
  /** An empty object asks the server to validate (§7.5.1). */
  async respondChallenge(url: string): Promise<Json> { return (await this.signedPost(url, {})).body; }
  async finalize(order: AcmeOrder, csrDer: Uint8Array): Promise<AcmeOrder> {
    return { ...(await this.signedPost(order.finalize, { csr: base64url.encode(csrDer) })).body, url: order.url };
  }
  /** The PEM chain (§7.4.2). */
  async downloadCertificate(url: string): Promise<string> {
    return (await this.signedPost(url, '', { accept: 'application/pem-certificate-chain' })).text;
  }

  /**
   * The default chain and the alternates the server links (RFC 8555 §7.4.2, `Link: rel="alternate"`),
   * default first.
   */
  async downloadCertificateChains(url: string): Promise<string[]> {
    const res = await this.signedPost(url, '', { accept: 'application/pem-certificate-chain' });
    const links = [res.headers['link'] ?? []].flat().flatMap((l) => l.split(/,(?=\s*<)/));
    const alternates = links.map((l) => /^\s*<([^>]+)>\s*;.*rel="?alternate"?/.exec(l)?.[1]).filter((u): u is string => u !== undefined);
    const others: string[] = [];
    for (const alt of alternates.slice(0, 4)) others.push((await this.signedPost(new URL(alt, url).href, '', { accept: 'application/pem-certificate-chain' })).text);
    return [res.text, ...others];
  }

  /** POST-as-GET until `status` is one of `until`; a dead status throws its problem. Bounded by time. */
  async poll(url: string, until: readonly string[], opts: PollOptions = {}): Promise<Json> {
    const o = { timeoutMs: 60_000, minIntervalMs: 20, maxIntervalMs: 1000, maxRetryAfterMs: 10_000, ...this.pollDefaults, ...opts };
    const deadline = Date.now() + o.timeoutMs;
    for (let interval = o.minIntervalMs; ; interval = Math.min(interval * 2, o.maxIntervalMs)) {
      const res = await this.signedPost(url, '');
      const status: string = res.body?.status;
      if (until.includes(status)) return { ...res.body, url };
      if (DEAD_STATUSES.includes(status)) {
        const challengeError = res.body?.challenges?.find((c: { error?: AcmeProblem }) => c.error)?.error;
        throw new AcmeError(res.status, res.body?.error ?? challengeError ?? { type: `status:${status}` }, url);
      }
      const wait = Math.min(retryAfterMs(res.headers['retry-after']) ?? interval, o.maxRetryAfterMs);
      if (Date.now() + wait > deadline) throw new Error(`${url}: still ${status} after ${o.timeoutMs} ms`);
      await sleep(wait);
    }
  }

  /** §7.6: signed by the account, or (with `jwk`) by the certificate's key when `certKey` is given. */
  async revoke(certDer: Uint8Array, reason?: number, certKey?: AcmeKey): Promise<void> {
    const payload = { certificate: base64url.encode(certDer), ...(reason === undefined ? {} : { reason }) };
    await this.signedPost(await this.transport.url('revokeCert'), payload, certKey ? { key: certKey } : {});
  }

  /** §7.3.5: the inner JWS is signed by the new key (no nonce), the outer one by the old key. */
  async keyChange(newKey: AcmeKey): Promise<void> {
    const url = await this.transport.url('keyChange');
    const payload = { account: this.accountUrl, oldKey: this.key.jwk };
    await this.signedPost(url, await this.transport.signJws({ url, key: newKey, payload, protectedOverrides: { nonce: undefined } }));
    this.currentKey = newKey;
    this.thumbprint = undefined;
  }

  async deactivateAccount(): Promise<Json> {
    if (!this.accountUrl) throw new Error('no account');
    return (await this.signedPost(this.accountUrl, { status: 'deactivated' })).body;
  }

  /** token || '.' || base64url(SHA-256 JWK thumbprint) (§8.1). */
  async keyAuthorization(token: string): Promise<string> {
    this.thumbprint ??= await calculateJwkThumbprint(this.key.jwk, 'sha256');
    return `${token}.${this.thumbprint}`;
  }

  /** One complete order: authorizations in parallel, finalize, download. */
  async issue(opts: IssueOptions): Promise<{ order: AcmeOrder; certificatePem: string; keys: CryptoKeyPair }> {
    const order = await this.newOrder(toIdentifiers(opts.identifiers));
    const { order: done, keys } = await this.completeOrder(order, opts);
    if (!done.certificate) throw new Error(`${order.url}: valid order without a certificate URL`);
    return { order: done, certificatePem: await this.downloadCertificate(done.certificate), keys };
  }

  /** Takes an order (new, or one resumed after a crash) to `valid`: authorizations, then finalize with a CSR for `csrKeys`. */
  async completeOrder(order: AcmeOrder, opts: Omit<IssueOptions, 'identifiers'>): Promise<{ order: AcmeOrder; keys: CryptoKeyPair }> {
    await Promise.all(order.authorizations.map((u) => this.authorize(u, opts.challengeType, opts.solver)));
    const ready: AcmeOrder = await this.poll(order.url, ['ready', 'valid']);
    const { der, keys } = await createCsr(order.identifiers, opts.csrKeys);
    let done = ready.status === 'valid' ? ready : await this.finalize(ready, der);
    if (done.status !== 'valid') done = await this.poll(order.url, ['valid']);
    return { order: done, keys };
  }

  private async authorize(url: string, type: string, solver: ChallengeSolver): Promise<void> {
    const authz = await this.getAuthorization(url);
    if (authz.status === 'valid') return;
    const challenge = (authz.challenges as Array<{ type: string; url: string; token: string }>).find((c) => c.type === type);
    if (!challenge) throw new Error(`${url}: no ${type} challenge offered`);
    const ka = await this.keyAuthorization(challenge.token);
    await solver.present(type, authz.identifier, challenge.token, ka);
    try {
      await this.respondChallenge(challenge.url);
      await this.poll(url, ['valid']);
    } finally {
      await solver.cleanup(type, authz.identifier, challenge.token, ka);
    }
  }
}
