import { randomBytes } from 'node:crypto';
import type { CertificateIssuer } from '../acme/context.ts';
import type { Kek } from '../kek/kek.ts';
import { SqlCrlStore } from '../store/crl-store.ts';
import type { Database } from '../store/db.ts';
import { generateCrl } from './crl.ts';
import { upToDateCrl } from './crl-publisher.ts';
import { createHierarchy, importIssuer } from './hierarchy.ts';
import { issueCertificate, randomSerialHex } from './issue.ts';
import { canonicalIp } from './ip.ts';
import { parseCertificatePem } from './issuer-cert.ts';
import { generateKeyPair, importPrivateKey, type CryptoKey, type KeyAlgorithm } from './keys.ts';
import { certNotAfter, derToPem } from './pem.ts';
import { x509 } from './x509.ts';

interface IssuerRow {
  id: string;
  role: string;
  algorithm: string;
  cert_pem: string;
  chain_pem: string;
  key_wrapped: Buffer | null;
}

export interface CaSetup {
  name: string;
  algorithm: KeyAlgorithm;
  rootValidityDays: number;
  intermediateValidityDays: number;
  /** PEM files of an existing CA certificate chain and key to import instead of creating one. */
  importChainPem?: string;
  importKeyPem?: string;
}

const aad = (issuerId: string): string => `issuer:${issuerId}`;

/**
 * Creates the CA on first start (or imports one). Idempotent and safe when two nodes start at
 * once: material is generated outside the transaction and only the first insert wins.
 */
export async function ensureCa(db: Database, kek: Kek, setup: CaSetup, now: Date): Promise<{ created: boolean }> {
  const existing = await db.query<{ id: string }>(`SELECT id FROM issuers WHERE role = 'intermediate' AND active = 1`);
  if (existing.length > 0) return { created: false };
  const rows = await buildIssuerRows(kek, setup, now);
  return db.transaction(async (tx) => {
    if (db.dialect.name === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(738202)');
    const again = await tx.query(`SELECT id FROM issuers WHERE role = 'intermediate' AND active = 1`);
    if (again.length > 0) return { created: false };
    for (const r of rows) {
      await tx.exec(
        'INSERT INTO issuers (id, role, algorithm, cert_pem, chain_pem, key_wrapped, not_after, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)',
        [r.id, r.role, r.algorithm, r.certPem, r.chainPem, r.keyWrapped, certNotAfter(r.certPem).getTime(), now.getTime()],
      );
    }
    return { created: true };
  });
}

interface NewIssuerRow {
  id: string;
  role: 'root' | 'intermediate';
  algorithm: KeyAlgorithm | 'external';
  certPem: string;
  chainPem: string;
  keyWrapped: Buffer | null;
}

async function buildIssuerRows(kek: Kek, setup: CaSetup, now: Date): Promise<NewIssuerRow[]> {
  const newId = (): string => randomBytes(9).toString('base64url');
  if (setup.importChainPem !== undefined && setup.importKeyPem !== undefined) {
    const imported = await importIssuer({ certChainPem: setup.importChainPem, keyPem: setup.importKeyPem, now });
    const key = await importPrivateKey(imported.keyPkcs8);
    const id = newId();
    const above = imported.chainPem;
    const rows: NewIssuerRow[] = [{
      id, role: 'intermediate', algorithm: key.algorithm, certPem: imported.certPem, chainPem: [imported.certPem, ...above.slice(0, -1)].join(''),
      keyWrapped: kek.wrap(imported.keyPkcs8, aad(id)),
    }];
    const top = above[above.length - 1];
    if (top !== undefined) rows.push({ id: newId(), role: 'root', algorithm: 'external', certPem: top, chainPem: top, keyWrapped: null });
    return rows;
  }
  const h = await createHierarchy({ algorithm: setup.algorithm, name: setup.name, rootValidityDays: setup.rootValidityDays, intermediateValidityDays: setup.intermediateValidityDays, now });
  const rootId = newId();
  const intId = newId();
  return [
    { id: rootId, role: 'root', algorithm: setup.algorithm, certPem: h.root.certPem, chainPem: h.root.certPem, keyWrapped: kek.wrap(h.root.keyPkcs8, aad(rootId)) },
    { id: intId, role: 'intermediate', algorithm: setup.algorithm, certPem: h.intermediate.certPem, chainPem: h.intermediate.certPem, keyWrapped: kek.wrap(h.intermediate.keyPkcs8, aad(intId)) },
  ];
}

/** The loaded, unwrapped issuing CA: signs leaves, keeps the CRL. */
export class Authority implements CertificateIssuer {
  private constructor(
    private readonly db: Database,
    readonly issuerId: string,
    readonly authorityKeyId: Buffer,
    private readonly algorithm: KeyAlgorithm,
    private readonly key: CryptoKey,
    readonly intermediatePem: string,
    /** The intermediate and anything between it and the root, PEM, for chains sent to clients. */
    readonly chainPem: string,
    readonly rootPem: string,
    private readonly crlUrl: (issuerId: string) => string,
    private readonly crlLifetimeMs: number,
    private readonly now: () => number,
    readonly notBefore: number,
  ) {}

  static async load(db: Database, kek: Kek, opts: { crlUrl: (issuerId: string) => string; crlLifetimeMs: number; now: () => number }): Promise<Authority> {
    const rows = await db.query<IssuerRow>('SELECT id, role, algorithm, cert_pem, chain_pem, key_wrapped FROM issuers WHERE active = 1');
    const int = rows.find((r) => r.role === 'intermediate');
    const root = rows.find((r) => r.role === 'root') ?? int;
    if (!int || !root || int.key_wrapped === null) throw new Error('no active issuing CA in the database; run "certainty init"');
    const pkcs8 = kek.unwrap(int.key_wrapped, aad(int.id));
    const key = await importPrivateKey(pkcs8);
    pkcs8.fill(0);
    const cert = parseCertificatePem(int.cert_pem, 'the issuing CA certificate');
    const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
    const akid = ski === null ? Buffer.from(await cert.publicKey.getKeyIdentifier()) : Buffer.from(ski.keyId, 'hex');
    return new Authority(db, int.id, akid, key.algorithm, key.privateKey, int.cert_pem, int.chain_pem, root.cert_pem, opts.crlUrl, opts.crlLifetimeMs, opts.now, cert.notBefore.getTime());
  }

  async sign(input: { spki: Uint8Array; dnsNames: string[]; ipAddresses: string[]; notBefore: Date; notAfter: Date; extKeyUsage?: Array<'serverAuth' | 'clientAuth'> }): Promise<{ der: Buffer; serial: string; chainPem: string; notBefore: number; notAfter: number }> {
    const serial = randomSerialHex();
    const issued = await issueCertificate({
      issuerCertPem: this.intermediatePem, issuerKey: this.key, issuerAlgorithm: this.algorithm, subjectPublicKeySpki: input.spki,
      dnsNames: input.dnsNames, ipAddresses: input.ipAddresses, notBefore: input.notBefore, notAfter: input.notAfter, serialHex: serial,
      crlUrl: this.crlUrl(this.issuerId), extKeyUsage: input.extKeyUsage ?? ['serverAuth', 'clientAuth'],
    });
    // The issuer's own validity bounds the leaf's: report what was signed.
    const leaf = new x509.X509Certificate(issued.der);
    return { der: Buffer.from(issued.der), serial, chainPem: this.chainPem, notBefore: leaf.notBefore.getTime(), notAfter: leaf.notAfter.getTime() };
  }

  /** Brings the CRL up to date with every committed revocation (a no-op when it already is); returns it. */
  updateCrl(): Promise<Buffer> {
    return upToDateCrl({
      store: new SqlCrlStore(this.db), issuerId: this.issuerId, lifetimeMs: this.crlLifetimeMs, now: this.now,
      sign: async (c) => Buffer.from((await generateCrl({
        issuerCertPem: this.intermediatePem, issuerKey: this.key, issuerAlgorithm: this.algorithm, crlNumber: c.number,
        thisUpdate: c.thisUpdate, nextUpdate: c.nextUpdate, entries: c.entries,
      })).der),
    });
  }

  /** The CRL of `issuerId` if it is this issuer, rebuilt first when missing, behind or past half its lifetime. */
  async currentCrl(issuerId: string): Promise<Buffer | undefined> {
    return issuerId === this.issuerId ? this.updateCrl() : undefined;
  }

  /** Signs a certificate for this server's own HTTPS listener. */
  async serverCertificate(names: string[], validityMs: number): Promise<{ certPem: string; keyPem: string; notAfter: number }> {
    const keys = await generateKeyPair('ecdsa-p256');
    const spki = new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', keys.publicKey));
    const now = this.now();
    const isIp = (n: string): boolean => canonicalIp(n) !== undefined;
    const signed = await this.sign({
      spki, dnsNames: names.filter((n) => !isIp(n)), ipAddresses: names.filter(isIp), notBefore: new Date(now - 60_000), notAfter: new Date(now + validityMs),
      extKeyUsage: ['serverAuth'],
    });
    const pkcs8 = new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { certPem: derToPem(signed.der, 'CERTIFICATE') + signed.chainPem, keyPem: derToPem(pkcs8, 'PRIVATE KEY'), notAfter: now + validityMs };
  }
}
