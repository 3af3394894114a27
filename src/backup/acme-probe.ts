import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { Agent, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { webcrypto } from 'node:crypto';
import { FlattenedSign, base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { x509 } from '../ca/x509.ts';

/**
 * Just enough of an ACME client (RFC 8555) to prove a restored CA issues: one account, one order
 * for an IP identifier (RFC 8738, no DNS needed), http-01 answered by a loopback responder,
 * finalize, download. Every wait is bounded by the deadline given.
 */

/** An http-01 responder on 127.0.0.1 (RFC 8555 §8.3): serves the key authorizations it is given. */
export interface Http01Responder {
  port: number;
  set(token: string, keyAuthorization: string): void;
  close(): Promise<void>;
}

export async function startResponder(): Promise<Http01Responder> {
  const answers = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const answer = token === undefined ? undefined : answers.get(token);
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(answer ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    set: (token, ka) => void answers.set(token, ka),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ACME resources are read field by field
  json: any;
}

class AcmeSession {
  private readonly agent: Agent;
  private nonce: string | undefined;
  private kid: string | undefined;
  private directory: Record<string, string> = {};

  constructor(private readonly directoryUrl: string, caPem: string, private readonly key: webcrypto.CryptoKey, private readonly jwk: JWK, private readonly deadline: number) {
    this.agent = new Agent({ ca: caPem, keepAlive: true });
  }

  close(): void {
    this.agent.destroy();
  }

  send(method: string, url: string, body?: string, accept?: string): Promise<Answer> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/jose+json' };
    if (accept !== undefined) headers.accept = accept;
    const timeout = Math.max(1000, this.deadline - Date.now());
    return new Promise((resolve, reject) => {
      const req = request(url, { method, agent: this.agent, headers, timeout }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('error', reject).on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const nonce = res.headers['replay-nonce'];
          if (typeof nonce === 'string') this.nonce = nonce;
          let json: unknown;
          try { json = /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(text) : undefined; } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
      req.on('error', reject).end(body);
    });
  }

  async start(): Promise<void> {
    const res = await this.send('GET', this.directoryUrl);
    if (res.status !== 200) throw new Error(`GET ${this.directoryUrl} answered ${res.status}`);
    this.directory = res.json as Record<string, string>;
  }

  url(name: string): string {
    const u = this.directory[name];
    if (u === undefined) throw new Error(`the directory has no ${name}`);
    return u;
  }

  /** A signed POST (§6.2); `payload` '' is POST-as-GET (§6.3). badNonce is retried (§6.5). */
  async post(url: string, payload: object | '', accept?: string): Promise<Answer> {
    for (let attempt = 0; attempt < 4; attempt += 1) {
      if (this.nonce === undefined) await this.send('HEAD', this.url('newNonce'));
      const header = { alg: 'ES256', nonce: this.nonce, url, ...(this.kid === undefined ? { jwk: this.jwk } : { kid: this.kid }) };
      this.nonce = undefined;
      const bytes = Buffer.from(payload === '' ? '' : JSON.stringify(payload));
      const jws = await new FlattenedSign(bytes).setProtectedHeader(header).sign(this.key);
      const res = await this.send('POST', url, JSON.stringify(jws), accept);
      if (res.status < 400) return res;
      if (res.json?.type !== 'urn:ietf:params:acme:error:badNonce') throw new Error(`POST ${url}: ${res.json?.type ?? res.status}${res.json?.detail ? `: ${res.json.detail}` : ''}`);
    }
    throw new Error(`POST ${url}: the server kept answering badNonce`);
  }

  async account(): Promise<void> {
    const res = await this.post(this.url('newAccount'), { termsOfServiceAgreed: true });
    const location = res.headers.location;
    if (typeof location !== 'string') throw new Error('newAccount answered without a Location');
    this.kid = location;
  }

  /** POST-as-GET until the status is `want`; a final other status throws with its error. */
  async poll(url: string, want: string): Promise<Answer> {
    for (let interval = 50; ; interval = Math.min(interval * 2, 1000)) {
      const res = await this.post(url, '');
      const status = String(res.json?.status);
      if (status === want) return res;
      if (['invalid', 'revoked', 'deactivated', 'expired', 'valid'].includes(status)) {
        const problem = res.json?.error ?? res.json?.challenges?.find((c: { error?: unknown }) => c.error)?.error;
        throw new Error(`${url} became ${status}${problem?.detail ? `: ${problem.detail}` : ''}`);
      }
      if (Date.now() + interval > this.deadline) throw new Error(`${url} was still ${status} at the deadline`);
      await sleep(interval);
    }
  }
}

export interface ProbeResult {
  chainPem: string;
  /** The certificate key's SubjectPublicKeyInfo (DER), to compare with the issued leaf. */
  spki: Buffer;
}

async function authorize(s: AcmeSession, authzUrl: string, responder: Http01Responder, thumbprint: string): Promise<void> {
  const authz = (await s.post(authzUrl, '')).json;
  if (authz.status === 'valid') return;
  const challenge = (authz.challenges as Array<{ type: string; url: string; token: string }>).find((c) => c.type === 'http-01');
  if (challenge === undefined) throw new Error(`${authzUrl} offers no http-01 challenge`);
  responder.set(challenge.token, `${challenge.token}.${thumbprint}`);
  await s.post(challenge.url, {});
  await s.poll(authzUrl, 'valid');
}

async function csrFor(ip: string): Promise<{ der: Uint8Array; spki: Buffer }> {
  const keys = await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: ip }])],
  });
  return { der: new Uint8Array(csr.rawData), spki: Buffer.from(await globalThis.crypto.subtle.exportKey('spki', keys.publicKey)) };
}

/** Runs one complete order for `ip` against `directoryUrl`, trusting only `caPem`. */
export async function issueProbeCertificate(directoryUrl: string, caPem: string, ip: string, responder: Http01Responder, timeoutMs: number): Promise<ProbeResult> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const s = new AcmeSession(directoryUrl, caPem, privateKey, jwk, Date.now() + timeoutMs);
  try {
    await s.start();
    await s.account();
    const created = await s.post(s.url('newOrder'), { identifiers: [{ type: 'ip', value: ip }] });
    const orderUrl = created.headers.location as string;
    const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    for (const authzUrl of created.json.authorizations as string[]) await authorize(s, authzUrl, responder, thumbprint);
    const ready = await s.poll(orderUrl, 'ready');
    const csr = await csrFor(ip);
    await s.post(ready.json.finalize as string, { csr: base64url.encode(csr.der) });
    const valid = await s.poll(orderUrl, 'valid');
    const chain = await s.post(valid.json.certificate as string, '', 'application/pem-certificate-chain');
    return { chainPem: chain.text, spki: csr.spki };
  } finally {
    s.close();
  }
}
