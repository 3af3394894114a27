import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';
import { parsePublicKeyBlob, type SshPublicKey } from './keys.ts';
import type { SshSigner } from './signer.ts';
import { readStringList, SshReader, SshWireError, SshWriter, stringList } from './wire.ts';

export type SshCertKind = 'user' | 'host';

/** What a certificate says (PROTOCOL.certkeys), before it is signed. */
export interface SshCertificateFields {
  kind: SshCertKind;
  key: SshPublicKey;
  serial: bigint;
  keyId: string;
  principals: readonly string[];
  /** Seconds since the epoch. */
  validAfter: bigint;
  validBefore: bigint;
  criticalOptions: Readonly<Record<string, string>>;
  /** Names of flag extensions (`permit-pty`…); their data is empty. */
  extensions: readonly string[];
}

/** A parsed certificate: its fields, the signing CA's key, and whether its signature checks. */
export interface ParsedSshCertificate extends SshCertificateFields {
  certType: string;
  caKey: SshPublicKey;
  signatureAlgorithm: string;
  /** The bytes the signature covers. */
  signed: Buffer;
  signature: Buffer;
}

const CERT_TYPE = (keyType: string): string => keyType.endsWith('@openssh.com')
  ? keyType.replace('@openssh.com', '-cert-v01@openssh.com')
  : `${keyType}-cert-v01@openssh.com`;

/** Options and extensions are sorted by name and unique (PROTOCOL.certkeys: "lexically ordered"). */
function namedList(entries: ReadonlyArray<[string, string]>): Buffer {
  const w = new SshWriter();
  for (const [name, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    w.string(name).string(value === '' ? Buffer.alloc(0) : new SshWriter().string(value).toBuffer());
  }
  return w.toBuffer();
}

/** The signed certificate blob, as it goes base64-encoded into a `-cert.pub` line. */
export function encodeCertificate(f: SshCertificateFields, ca: SshSigner): Buffer {
  const body = new SshWriter()
    .string(CERT_TYPE(f.key.type))
    .string(randomBytes(32))
    .raw(f.key.fields)
    .uint64(f.serial)
    .uint32(f.kind === 'user' ? 1 : 2)
    .string(f.keyId)
    .string(stringList(f.principals))
    .uint64(f.validAfter)
    .uint64(f.validBefore)
    .string(namedList(Object.entries(f.criticalOptions)))
    .string(namedList(f.extensions.map((e) => [e, ''])))
    .string(Buffer.alloc(0))
    .string(ca.publicBlob)
    .toBuffer();
  return new SshWriter().raw(body).string(ca.sign(body)).toBuffer();
}

export function certificateLine(blob: Buffer, comment?: string): string {
  const type = new SshReader(blob).text();
  return `${type} ${blob.toString('base64')}${comment === undefined ? '' : ` ${comment}`}`;
}

function readNamed(buf: Buffer): Array<[string, string]> {
  const r = new SshReader(buf);
  const out: Array<[string, string]> = [];
  while (r.remaining > 0) {
    const name = r.text();
    const data = r.string();
    out.push([name, data.length === 0 ? '' : new SshReader(data).text()]);
  }
  return out;
}

/** Parses a `-cert.pub` line or blob; malformed input is a `malformed` AppError. */
export function parseCertificate(input: Buffer | string): ParsedSshCertificate {
  const blob = typeof input === 'string' ? Buffer.from(input.trim().split(/\s+/)[1] ?? '', 'base64') : input;
  try {
    const r = new SshReader(blob);
    const certType = r.text();
    if (!certType.endsWith('-cert-v01@openssh.com')) throw new SshWireError(`"${certType}" is not an OpenSSH certificate type`);
    const keyType = certType.replace('-cert-v01', '').replace(/@openssh\.com$/, certType.startsWith('sk-') ? '@openssh.com' : '');
    r.string();
    const keyStart = blob.length - r.remaining;
    skipKeyFields(keyType, r);
    const key = parsePublicKeyBlob(Buffer.concat([new SshWriter().string(keyType).toBuffer(), blob.subarray(keyStart, blob.length - r.remaining)]));
    const serial = r.uint64();
    const type = r.uint32();
    const keyId = r.text();
    const principals = readStringList(r.string());
    const validAfter = r.uint64();
    const validBefore = r.uint64();
    const criticalOptions = Object.fromEntries(readNamed(r.string()));
    const extensions = readNamed(r.string()).map(([n]) => n);
    r.string();
    const caKey = parsePublicKeyBlob(r.string());
    const signed = blob.subarray(0, blob.length - r.remaining);
    const signature = r.string();
    r.end('certificate');
    const signatureAlgorithm = new SshReader(signature).text();
    if (type !== 1 && type !== 2) throw new SshWireError(`unknown certificate type ${type}`);
    return {
      certType, kind: type === 1 ? 'user' : 'host', key, serial, keyId, principals, validAfter, validBefore, criticalOptions, extensions, caKey, signatureAlgorithm, signed, signature,
    };
  } catch (err) {
    if (err instanceof SshWireError) throw new AppError('malformed', `The certificate is malformed: ${err.message}`);
    throw err;
  }
}

/** Reads past a certified key's fields (their count depends on the key type). */
function skipKeyFields(keyType: string, r: SshReader): void {
  const fields = keyType === 'ssh-rsa' || keyType.startsWith('ecdsa-') ? 2 : keyType === 'ssh-ed25519' ? 1 : keyType.startsWith('sk-') ? (keyType.includes('ecdsa') ? 3 : 2) : -1;
  if (fields < 0) throw new SshWireError(`unsupported certificate key type ${keyType}`);
  for (let i = 0; i < fields; i++) r.string();
}
