import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';
import { activeCa, type SignerCache } from './ca.ts';
import { certificateLine, encodeCertificate } from './certificate.ts';
import type { SshDeps } from './deps.ts';
import { parsePublicKeyLine, type SshPublicKey } from './keys.ts';
import { allowedPrincipals, expandTemplate, inAllowedDomains } from './role.ts';
import type { SshCertRecord, SshRequester, SshRole } from './types.ts';

/** A signing request as the API and the CLI take it. */
export interface SignRequest {
  role: string;
  publicKey: string;
  principals?: string[];
  ttlMs?: number;
  /** Extensions instead of the role's defaults; each must be allowed by the role. */
  extensions?: string[];
  /** Critical options added to the role's own; each must be allowed by the role. */
  criticalOptions?: Record<string, string>;
}

export interface SignedCertificate extends SshCertRecord {
  /** The `-cert.pub` line. */
  certificate: string;
}

/** Admin token ids (src/admin/tokens.ts); the CLI and host renewals sign without one. */
const TOKEN_ID = /^[0-9a-f]{12}$/;

const refuse = (detail: string): AppError => new AppError('malformed', detail);

/** Loads the role and checks that the requester may use it (admins may use every role). */
async function roleFor(deps: Pick<SshDeps, 'store'>, name: string, who: SshRequester): Promise<SshRole> {
  const found = await deps.store.role(name);
  if (!found) throw new AppError('notFound', `No SSH role "${name}"; see "certainty ssh role list"`);
  if (!who.admin && !found.role.tokens.includes(who.tokenId)) throw new AppError('unauthorized', `This token may not sign with SSH role "${name}"; an operator can add its id to the role's "tokens"`);
  return found.role;
}

function checkKey(role: SshRole, key: SshPublicKey): void {
  if (!role.keyTypes.includes(key.family)) throw new AppError('badPublicKey', `Role "${role.name}" accepts ${role.keyTypes.join(', ')} keys, not ${key.family}`);
  if (key.family === 'rsa' && key.bits < role.minRsaBits) throw new AppError('badPublicKey', `This RSA key has ${key.bits} bits; role "${role.name}" needs at least ${role.minRsaBits} (or use ssh-keygen -t ed25519)`);
}

function principalsFor(role: SshRole, who: SshRequester, asked: string[] | undefined): string[] {
  const allowed = allowedPrincipals(role, who);
  const principals = asked ?? (role.kind === 'user' || role.allowedDomains.length === 0 ? allowed : []);
  // CVE-2024-7594: never a certificate without principals, which sshd would take for any user.
  if (principals.length === 0) throw refuse(`A certificate needs at least one principal${role.kind === 'host' ? ': pass the host names' : ''}`);
  for (const p of principals) {
    if (typeof p !== 'string' || p.length === 0 || p.length > 255 || /[\s,*?]/.test(p)) throw refuse(`"${String(p)}" is not a valid principal`);
    const ok = allowed.includes(p) || (role.kind === 'host' && inAllowedDomains(role, p));
    if (!ok) throw refuse(`Principal "${p}" is outside role "${role.name}"; it allows ${[...allowed, ...role.allowedDomains.map((d) => `*.${d}`)].join(', ')}`);
  }
  return [...new Set(principals)];
}

function extensionsFor(role: SshRole, asked: string[] | undefined): string[] {
  if (asked === undefined) return role.defaultExtensions;
  for (const e of asked) if (!role.allowedExtensions.includes(e)) throw refuse(`Extension "${String(e)}" is not allowed by role "${role.name}"; it allows ${role.allowedExtensions.join(', ') || 'none'}`);
  return [...new Set(asked)];
}

function optionsFor(role: SshRole, asked: Record<string, string> | undefined): Record<string, string> {
  const out = { ...role.criticalOptions };
  for (const [name, value] of Object.entries(asked ?? {})) {
    if (!role.allowedCriticalOptions.includes(name) || name in role.criticalOptions) throw refuse(`Critical option "${name}" is not allowed by role "${role.name}"`);
    if (typeof value !== 'string') throw refuse(`Critical option "${name}" must be text`);
    out[name] = value;
  }
  const source = out['source-address'];
  if (source !== undefined && !source.split(',').every((a) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(a))) throw refuse('"source-address" must be a comma-separated list of addresses or CIDR ranges');
  return out;
}

/** A random non-zero 63-bit serial: unpredictable, and never 0, which a KRL cannot revoke. */
function newSerial(): bigint {
  const s = randomBytes(8).readBigUInt64BE() >> 1n;
  return s === 0n ? 1n : s;
}

/** Checks that `who` may use the role, then signs (`signForRole`). */
export async function signCertificate(deps: SshDeps & { signers: SignerCache }, req: SignRequest, who: SshRequester): Promise<SignedCertificate> {
  return signForRole(deps, await roleFor(deps, req.role, who), req, who);
}

/** Checks the request against the role, signs with the active CA and records the certificate and the audit record together. */
export async function signForRole(deps: SshDeps & { signers: SignerCache }, role: SshRole, req: SignRequest, who: SshRequester): Promise<SignedCertificate> {
  const key = parsePublicKeyLine(req.publicKey);
  checkKey(role, key);
  const principals = principalsFor(role, who, req.principals);
  const ttlMs = req.ttlMs ?? role.ttlMs;
  if (!(ttlMs > 0) || ttlMs > role.maxTtlMs) throw refuse(`The TTL must be positive and at most role "${role.name}"'s maximum (${role.maxTtlMs / 1000} s)`);
  const extensions = role.kind === 'host' ? [] : extensionsFor(role, req.extensions);
  const criticalOptions = role.kind === 'host' ? {} : optionsFor(role, req.criticalOptions);
  const ca = await activeCa(deps, role.kind, who.actor);
  const signer = await deps.signers.get(deps, ca);
  const now = deps.now();
  const serial = newSerial();
  const keyId = expandTemplate(role.keyIdTemplate, { role: role.name, 'token.name': who.tokenName, 'token.id': who.tokenId, principal: principals[0] as string, serial: serial.toString() });
  const validAfter = Math.floor((now - role.backdateMs) / 1000);
  const validBefore = Math.floor((now + ttlMs) / 1000);
  const blob = encodeCertificate({ kind: role.kind, key, serial, keyId, principals, validAfter: BigInt(validAfter), validBefore: BigInt(validBefore), criticalOptions, extensions }, signer);
  const record: SshCertRecord = {
    serial: serial.toString(), caId: ca.id, kind: role.kind, role: role.name, keyId, principals, fingerprint: key.fingerprint,
    validAfter: validAfter * 1000, validBefore: validBefore * 1000, tokenId: TOKEN_ID.test(who.tokenId) ? who.tokenId : null, createdAt: now, revokedAt: null,
  };
  await deps.store.transaction(async (s) => {
    await s.insertCertificate(record);
    await s.audit({
      actor: who.actor, action: 'ssh.certificate-signed', object: `ssh-certificate:${record.serial}`, outcome: 'success',
      details: { role: role.name, ca: ca.id, kind: role.kind, keyId, principals, fingerprint: key.fingerprint, validBefore: new Date(record.validBefore).toISOString() },
    });
  });
  return { ...record, certificate: certificateLine(blob) };
}
