/** The CA's own certificates: a fresh root + intermediate, or an intermediate from an enterprise CA. */
import { randomSerialHex } from './issue.ts';
import { parseCertificatePem, type Certificate } from './issuer-cert.ts';
import { exportPkcs8, generateKeyPair, privateKeyFromPem, signingAlgorithmFor, type KeyAlgorithm } from './keys.ts';
import { derToPem, splitPemChain } from './pem.ts';
import { x509 } from './x509.ts';

/** A CA certificate and its private key, as stored. */
export interface IssuerMaterial {
  certPem: string;
  keyPkcs8: Uint8Array;
}

export interface HierarchyOptions {
  algorithm: KeyAlgorithm;
  /** Product or organisation name; certificates are "<name> Root CA" and "<name> Intermediate CA". */
  name: string;
  rootValidityDays: number;
  intermediateValidityDays: number;
  now: Date;
}

export interface ImportedIssuer {
  /** The issuing CA certificate (the first certificate of certChainPem). */
  certPem: string;
  /** The certificates above it, in the order given (towards the root). */
  chainPem: string[];
  keyPkcs8: Uint8Array;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Backdating tolerates clients whose clocks run slow. */
const CLOCK_SKEW_MS = HOUR_MS;

const { keyCertSign, cRLSign, digitalSignature } = x509.KeyUsageFlags;

function toPem(cert: Certificate): string {
  return derToPem(new Uint8Array(cert.rawData), 'CERTIFICATE');
}

/** Creates a self-signed root and an intermediate (pathLen 0) signed by it, each with its own key. */
export async function createHierarchy(opts: HierarchyOptions): Promise<{ root: IssuerMaterial; intermediate: IssuerMaterial }> {
  for (const key of ['rootValidityDays', 'intermediateValidityDays'] as const) {
    if (!Number.isInteger(opts[key]) || opts[key] <= 0) throw new Error(`${key} must be a positive whole number of days, got ${opts[key]}`);
  }
  if (opts.intermediateValidityDays > opts.rootValidityDays) {
    throw new Error(`intermediateValidityDays (${opts.intermediateValidityDays}) must not exceed rootValidityDays (${opts.rootValidityDays})`);
  }
  if (opts.name.trim() === '') throw new Error('name must not be empty');
  const notBefore = new Date(opts.now.getTime() - CLOCK_SKEW_MS);
  const signingAlgorithm = signingAlgorithmFor(opts.algorithm);

  const rootKeys = await generateKeyPair(opts.algorithm);
  const rootSki = await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: [{ CN: [`${opts.name} Root CA`] }],
    notBefore,
    notAfter: new Date(opts.now.getTime() + opts.rootValidityDays * DAY_MS),
    keys: rootKeys,
    signingAlgorithm,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(keyCertSign | cRLSign, true), rootSki],
  });

  const intKeys = await generateKeyPair(opts.algorithm);
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: [{ CN: [`${opts.name} Intermediate CA`] }],
    issuer: root.subjectName,
    notBefore,
    notAfter: new Date(opts.now.getTime() + opts.intermediateValidityDays * DAY_MS),
    publicKey: intKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(digitalSignature | keyCertSign | cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(intKeys.publicKey),
      new x509.AuthorityKeyIdentifierExtension(rootSki.keyId),
    ],
  });

  return {
    root: { certPem: toPem(root), keyPkcs8: await exportPkcs8(rootKeys.privateKey) },
    intermediate: { certPem: toPem(intermediate), keyPkcs8: await exportPkcs8(intKeys.privateKey) },
  };
}

function describe(cert: Certificate): string {
  return `"${cert.subject}" (serial ${cert.serialNumber.toLowerCase()})`;
}

/**
 * Throws unless `cert` is a CA certificate valid at `now`. The issuing CA's key must be allowed to
 * sign certificates and CRLs (Certainty does both with it); a certificate above it only needs
 * keyCertSign, and one without keyUsage at all (older roots) is accepted.
 */
function checkCaCertificate(cert: Certificate, now: Date, role: string, issuing: boolean): void {
  const who = `${role} ${describe(cert)}`;
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (bc === null || !bc.ca) {
    throw new Error(`${who} is not a CA certificate (basicConstraints cA is not true); use the certificate of a CA the enterprise PKI issued for Certainty`);
  }
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (issuing && (ku === null || (ku.usages & keyCertSign) === 0 || (ku.usages & cRLSign) === 0)) {
    throw new Error(`${who} lacks keyUsage keyCertSign and cRLSign; Certainty signs certificates and CRLs with this key, so the CA certificate must allow both`);
  }
  if (!issuing && ku !== null && (ku.usages & keyCertSign) === 0) {
    throw new Error(`${who} lacks keyUsage keyCertSign, so it cannot have signed the certificate below it`);
  }
  if (now > cert.notAfter) throw new Error(`${who} expired at ${cert.notAfter.toISOString()}; have the enterprise CA issue a new one`);
  if (now < cert.notBefore) throw new Error(`${who} is not valid until ${cert.notBefore.toISOString()}; check the clock or wait`);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Validates operator-supplied material for running Certainty as a subordinate CA: the first
 * certificate of `certChainPem` is the issuing CA, the rest its chain towards the root. Errors are
 * plain Errors telling the operator what to fix.
 */
export async function importIssuer(opts: { certChainPem: string; keyPem: string; now: Date }): Promise<ImportedIssuer> {
  const pems = splitPemChain(opts.certChainPem);
  const [certPem, ...chainPem] = pems;
  if (certPem === undefined) throw new Error('the certificate file holds no PEM CERTIFICATE block; give the issuing CA certificate, then its chain');
  const certs = pems.map((pem, i) => parseCertificatePem(pem, `certificate ${i + 1} of the chain`));
  certs.forEach((cert, i) => checkCaCertificate(cert, opts.now, i === 0 ? 'the issuing CA certificate' : `chain certificate ${i + 1}`, i === 0));
  for (let i = 0; i + 1 < certs.length; i++) {
    const [child, parent] = [certs[i] as Certificate, certs[i + 1] as Certificate];
    if (!(await child.verify({ publicKey: parent.publicKey, signatureOnly: true }))) {
      throw new Error(`certificate ${i + 2} ${describe(parent)} did not sign certificate ${i + 1} ${describe(child)}; order the file from the issuing CA up towards the root`);
    }
  }

  let key;
  try {
    key = await privateKeyFromPem(opts.keyPem);
  } catch (err) {
    throw new Error(`the CA private key: ${(err as Error).message}`, { cause: err });
  }
  const keySpki = new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', key.publicKey));
  const certSpki = new Uint8Array((certs[0] as Certificate).publicKey.rawData);
  if (!equalBytes(keySpki, certSpki)) {
    throw new Error(`the private key does not match the public key of the issuing CA certificate ${describe(certs[0] as Certificate)}; give the key that certificate was issued for`);
  }
  return { certPem, chainPem, keyPkcs8: key.pkcs8 };
}
