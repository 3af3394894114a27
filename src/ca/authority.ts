import { randomBytes } from 'node:crypto';
import type { Kek } from '../kek/kek.ts';
import { generateCrl } from './crl.ts';
import { upToDateCrl, type CrlPartition, type CrlReport, type CrlStore } from './crl-publisher.ts';
import { shardForSerial } from './crl-shards.ts';
import { createHierarchy, importIssuer } from './hierarchy.ts';
import { LeafSigner, randomSerialHex } from './issue.ts';
import { canonicalIp } from './ip.ts';
import { parseCertificatePem } from './issuer-cert.ts';
import { generateKeyPair, importPrivateKey, type CryptoKey, type KeyAlgorithm } from './keys.ts';
import { certNotAfter, derToPem } from './pem.ts';
import type { IssuerRecord, IssuerStore } from './store.ts';
import { x509 } from './x509.ts';

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

/** The most CRL shards `ca.crlShards` may ask for (src/config/schema.ts). */
const MAX_CRL_SHARDS = 1024;

/**
 * Creates the CA on first start (or imports one). Idempotent and safe when two nodes start at
 * once: material is generated outside the transaction and only the first insert wins.
 */
export async function ensureCa(deps: { issuers: IssuerStore; kek: Kek }, setup: CaSetup, now: Date): Promise<{ created: boolean }> {
  if (await deps.issuers.hasActiveCa()) return { created: false };
  const records = await buildIssuers(deps.kek, setup, now);
  return { created: await deps.issuers.insertCa(records, now.getTime()) };
}

type NewIssuer = Omit<IssuerRecord, 'notAfter'>;

async function buildIssuers(kek: Kek, setup: CaSetup, now: Date): Promise<IssuerRecord[]> {
  const built = setup.importChainPem !== undefined && setup.importKeyPem !== undefined
    ? await importedIssuers(kek, setup.importChainPem, setup.importKeyPem, now)
    : await createdIssuers(kek, setup, now);
  return built.map((r) => ({ ...r, notAfter: certNotAfter(r.certPem).getTime() }));
}

const newId = (): string => randomBytes(9).toString('base64url');

async function importedIssuers(kek: Kek, chainPem: string, keyPem: string, now: Date): Promise<NewIssuer[]> {
  const imported = await importIssuer({ certChainPem: chainPem, keyPem, now });
  const key = await importPrivateKey(imported.keyPkcs8);
  const id = newId();
  const above = imported.chainPem;
  const rows: NewIssuer[] = [{
    id, role: 'intermediate', algorithm: key.algorithm, certPem: imported.certPem, chainPem: [imported.certPem, ...above.slice(0, -1)].join(''),
    keyWrapped: kek.wrap(imported.keyPkcs8, aad(id)),
  }];
  const top = above[above.length - 1];
  if (top !== undefined) rows.push({ id: newId(), role: 'root', algorithm: 'external', certPem: top, chainPem: top, keyWrapped: null });
  return rows;
}

async function createdIssuers(kek: Kek, setup: CaSetup, now: Date): Promise<NewIssuer[]> {
  const h = await createHierarchy({ algorithm: setup.algorithm, name: setup.name, rootValidityDays: setup.rootValidityDays, intermediateValidityDays: setup.intermediateValidityDays, now });
  const rootId = newId();
  const intId = newId();
  return [
    { id: rootId, role: 'root', algorithm: setup.algorithm, certPem: h.root.certPem, chainPem: h.root.certPem, keyWrapped: kek.wrap(h.root.keyPkcs8, aad(rootId)) },
    { id: intId, role: 'intermediate', algorithm: setup.algorithm, certPem: h.intermediate.certPem, chainPem: h.intermediate.certPem, keyWrapped: kek.wrap(h.intermediate.keyPkcs8, aad(intId)) },
  ];
}

/** What an Authority is loaded with. */
export interface AuthorityDeps {
  issuers: IssuerStore;
  crls: CrlStore;
  kek: Kek;
  /** The URL of the issuer's CRL, or of one shard's: the CRL distribution point written into leaves. */
  crlUrl: (issuerId: string, shard?: number) => string;
  /** `ca.crlShards`: 1 publishes one complete CRL; above 1, new leaves are spread over that many partitioned CRLs. */
  crlShards: number;
  crlLifetimeMs: number;
  now: () => number;
  /** Where CRL signing times are reported (src/metrics); absent at the CLI. */
  report?: CrlReport | undefined;
}

/** The unwrapped issuing intermediate, as loaded. */
interface SigningIssuer {
  id: string;
  authorityKeyId: Buffer;
  algorithm: KeyAlgorithm;
  key: CryptoKey;
  intermediatePem: string;
  chainPem: string;
  rootPem: string;
  notBefore: number;
}

async function loadSigningIssuer(issuers: IssuerStore, kek: Kek): Promise<SigningIssuer> {
  const rows = await issuers.activeIssuers();
  const int = rows.find((r) => r.role === 'intermediate');
  const root = rows.find((r) => r.role === 'root') ?? int;
  if (!int || !root || int.keyWrapped === null) throw new Error('no active issuing CA in the database; run "certainty init"');
  const pkcs8 = kek.unwrap(int.keyWrapped, aad(int.id));
  const key = await importPrivateKey(pkcs8);
  pkcs8.fill(0);
  const cert = parseCertificatePem(int.certPem, 'the issuing CA certificate');
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const akid = ski === null ? Buffer.from(await cert.publicKey.getKeyIdentifier()) : Buffer.from(ski.keyId, 'hex');
  return {
    id: int.id, authorityKeyId: akid, algorithm: key.algorithm, key: key.privateKey, intermediatePem: int.certPem, chainPem: int.chainPem,
    rootPem: root.certPem, notBefore: cert.notBefore.getTime(),
  };
}

/**
 * The loaded, unwrapped issuing CA: signs leaves, keeps the CRL. It is the ACME CertificateIssuer
 * (src/acme/context.ts) by shape.
 */
export class Authority {
  readonly issuerId: string;
  /** The intermediate certificate's Subject Key Identifier (for ARI ids). */
  readonly authorityKeyId: Buffer;
  readonly intermediatePem: string;
  /** The intermediate and anything between it and the root, PEM, for chains sent to clients. */
  readonly chainPem: string;
  readonly rootPem: string;
  /** The intermediate's notBefore (ms): no leaf may start earlier. */
  readonly notBefore: number;
  private readonly signer: LeafSigner;

  private constructor(private readonly deps: Omit<AuthorityDeps, 'issuers' | 'kek'>, private readonly issuer: SigningIssuer) {
    this.issuerId = issuer.id;
    this.authorityKeyId = issuer.authorityKeyId;
    this.intermediatePem = issuer.intermediatePem;
    this.chainPem = issuer.chainPem;
    this.rootPem = issuer.rootPem;
    this.notBefore = issuer.notBefore;
    this.signer = new LeafSigner({ issuerCertPem: issuer.intermediatePem, issuerKey: issuer.key, issuerAlgorithm: issuer.algorithm });
  }

  static async load(deps: AuthorityDeps): Promise<Authority> {
    return new Authority(deps, await loadSigningIssuer(deps.issuers, deps.kek));
  }

  async sign(input: { spki: Uint8Array; dnsNames: string[]; ipAddresses: string[]; notBefore: Date; notAfter: Date; extKeyUsage?: Array<'serverAuth' | 'clientAuth'> }): Promise<{ der: Buffer; serial: string; chainPem: string; notBefore: number; notAfter: number }> {
    const serial = randomSerialHex();
    const crlUrl = this.deps.crlShards > 1 ? this.deps.crlUrl(this.issuerId, shardForSerial(serial, this.deps.crlShards)) : this.deps.crlUrl(this.issuerId);
    const issued = await this.signer.issue({
      subjectPublicKeySpki: input.spki, dnsNames: input.dnsNames, ipAddresses: input.ipAddresses, notBefore: input.notBefore, notAfter: input.notAfter,
      serialHex: serial, crlUrl, extKeyUsage: input.extKeyUsage ?? ['serverAuth', 'clientAuth'],
    });
    // The issuer's own validity bounds the leaf's: report what was signed.
    return { der: Buffer.from(issued.der), serial, chainPem: this.chainPem, notBefore: issued.notBefore.getTime(), notAfter: issued.notAfter.getTime() };
  }

  /**
   * Brings a CRL up to date with every committed revocation (a no-op when it already is); returns
   * it. Without a shard, the CRL at the issuer's own URL: complete with one shard configured, else
   * the partition of certificates issued without a shard (RFC 5280 §5.2.5; it then says so in its
   * issuing distribution point, as every shard's CRL does).
   */
  updateCrl(shard?: number): Promise<Buffer> {
    const partition: CrlPartition = shard ?? (this.deps.crlShards > 1 ? 'unsharded' : 'all');
    const distributionPoint = partition === 'all' ? undefined : typeof partition === 'number' ? this.deps.crlUrl(this.issuerId, partition) : this.deps.crlUrl(this.issuerId);
    return upToDateCrl({
      store: this.deps.crls, issuerId: this.issuerId, partition, lifetimeMs: this.deps.crlLifetimeMs, now: this.deps.now, report: this.deps.report,
      sign: async (c) => Buffer.from((await generateCrl({
        issuerCertPem: this.intermediatePem, issuerKey: this.issuer.key, issuerAlgorithm: this.issuer.algorithm, crlNumber: c.number,
        thisUpdate: c.thisUpdate, nextUpdate: c.nextUpdate, entries: c.entries, ...(distributionPoint === undefined ? {} : { distributionPoint }),
      })).der),
    });
  }

  /** Brings every CRL of this issuer up to date: its own URL's, each configured shard's, and any shard published before. */
  async updateCrls(): Promise<void> {
    const shards = new Set(await this.deps.crls.storedShards(this.issuerId));
    if (this.deps.crlShards > 1) for (let s = 0; s < this.deps.crlShards; s++) shards.add(s);
    await this.updateCrl();
    for (const s of [...shards].sort((a, b) => a - b)) await this.updateCrl(s);
  }

  /**
   * The CRL of `issuerId` (or of one of its shards) if it is this issuer, rebuilt first when
   * missing, behind or past half its lifetime. Any shard below MAX_CRL_SHARDS is served, so a
   * certificate issued before `ca.crlShards` was lowered still finds its CRL.
   */
  async currentCrl(issuerId: string, shard?: number): Promise<Buffer | undefined> {
    if (issuerId !== this.issuerId || (shard !== undefined && !(Number.isInteger(shard) && shard >= 0 && shard < MAX_CRL_SHARDS))) return undefined;
    return this.updateCrl(shard);
  }

  /** Signs a certificate for this server's own HTTPS listener. */
  async serverCertificate(names: string[], validityMs: number): Promise<{ certPem: string; keyPem: string; notAfter: number }> {
    const keys = await generateKeyPair('ecdsa-p256');
    const spki = new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', keys.publicKey));
    const now = this.deps.now();
    const isIp = (n: string): boolean => canonicalIp(n) !== undefined;
    const signed = await this.sign({
      spki, dnsNames: names.filter((n) => !isIp(n)), ipAddresses: names.filter(isIp), notBefore: new Date(now - 60_000), notAfter: new Date(now + validityMs),
      extKeyUsage: ['serverAuth'],
    });
    const pkcs8 = new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { certPem: derToPem(signed.der, 'CERTIFICATE') + signed.chainPem, keyPem: derToPem(pkcs8, 'PRIVATE KEY'), notAfter: now + validityMs };
  }
}
