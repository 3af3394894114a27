import { humanDuration } from '../duration.ts';
import { parseCertificate, type SshCertKind } from './certificate.ts';
import { fingerprintOf, parsePublicKeyLine } from './keys.ts';
import { KNOWN_CRITICAL_OPTIONS } from './role.ts';
import { verifySshSignature } from './signer.ts';
import type { SshCa, SshRevocation } from './types.ts';

export interface ExplainCheck {
  check: string;
  ok: boolean;
  detail: string;
}

/** The sshd side of the question: what it trusts, the login it is asked for, and when. */
export interface ExplainContext {
  /** Every CA this installation knows (retired ones included, so a refusal can say why). */
  cas: readonly SshCa[];
  revocations: readonly SshRevocation[];
  /** The user name (user certificates) or host name (host certificates) sshd matches. */
  principal?: string;
  /** Epoch milliseconds. */
  at: number;
  /** The kind sshd expects; default the certificate's own. */
  kind?: SshCertKind;
}

/** Whether sshd (OpenSSH ≥ 8.8 defaults, this installation's CAs and KRL) would accept `certificate`, check by check. */
export function explainCertificate(certificate: string, ctx: ExplainContext): { accepted: boolean; checks: ExplainCheck[] } {
  const cert = parseCertificate(certificate);
  const checks: ExplainCheck[] = [];
  const add = (check: string, ok: boolean, detail: string): void => void checks.push({ check, ok, detail });
  add('kind', ctx.kind === undefined || ctx.kind === cert.kind, `a ${cert.kind} certificate${ctx.kind !== undefined && ctx.kind !== cert.kind ? `, but a ${ctx.kind} certificate is needed` : ''}`);
  // OpenSSH 8.8 removed ssh-rsa (SHA-1) from the default CASignatureAlgorithms.
  add('signature algorithm', cert.signatureAlgorithm !== 'ssh-rsa', cert.signatureAlgorithm === 'ssh-rsa' ? 'signed with ssh-rsa (SHA-1), which sshd refuses by default' : cert.signatureAlgorithm);
  add('signature', verifySshSignature(cert.caKey, cert.signature, cert.signed), 'the CA\'s signature over the certificate');
  const caFp = fingerprintOf(cert.caKey.blob);
  const ca = ctx.cas.find((c) => parsePublicKeyLine(c.publicKey).fingerprint === caFp);
  const trusted = ca !== undefined && ca.status !== 'retired' && ca.kind === cert.kind;
  add('trusted CA', trusted, ca === undefined ? `signed by ${caFp}, which is not a CA of this installation` : `${ca.kind} CA ${ca.id} (${ca.status})${ca.status === 'retired' ? ': retired, no longer in the trust lines' : ''}`);
  const after = Number(cert.validAfter) * 1000;
  const before = cert.validBefore >= 2n ** 53n ? Number.MAX_SAFE_INTEGER : Number(cert.validBefore) * 1000;
  const timeOk = ctx.at >= after && ctx.at < before;
  add('validity', timeOk, ctx.at < after ? `not valid until ${new Date(after).toISOString()}` : ctx.at >= before ? `expired ${humanDuration(ctx.at - before)} ago (${new Date(before).toISOString()})` : `valid until ${new Date(before).toISOString()}`);
  if (ctx.principal !== undefined) add('principal', cert.principals.includes(ctx.principal), `"${ctx.principal}" ${cert.principals.includes(ctx.principal) ? 'is' : 'is not'} among ${cert.principals.join(', ') || '(none)'}`);
  else add('principal', cert.principals.length > 0, cert.principals.length > 0 ? `valid for ${cert.principals.join(', ')}` : 'no principals: sshd refuses it unless AuthorizedPrincipalsFile maps one');
  const revoked = revokedBy(cert.serial.toString(), cert.keyId, cert.key.blob.toString('base64'), ca?.id, ctx.revocations);
  add('revocation', revoked === undefined, revoked ?? 'not on the KRL');
  const unknown = Object.keys(cert.criticalOptions).filter((o) => !KNOWN_CRITICAL_OPTIONS.includes(o));
  add('critical options', unknown.length === 0, unknown.length > 0 ? `unknown to sshd: ${unknown.join(', ')}` : Object.entries(cert.criticalOptions).map(([k, v]) => `${k}=${v}`).join(', ') || 'none');
  return { accepted: checks.every((c) => c.ok), checks };
}

/** The revocation that covers a certificate, described, or undefined. */
export function revokedBy(serial: string, keyId: string, key: string, caId: string | undefined, revocations: readonly SshRevocation[]): string | undefined {
  const r = revocations.find((x) => (x.target === 'serial' && x.value === serial && x.caId === caId) || (x.target === 'key-id' && x.value === keyId) || (x.target === 'public-key' && x.value === key));
  return r && `revoked by ${r.target} ${r.target === 'public-key' ? '(its public key)' : r.value} at ${new Date(r.createdAt).toISOString()}${r.reason ? ` (${r.reason})` : ''}`;
}
