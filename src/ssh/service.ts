import { AppError } from '../errors.ts';
import { createCa, SignerCache, trustedCas } from './ca.ts';
import type { SshCertKind } from './certificate.ts';
import { sshConfigText } from './config-lines.ts';
import type { SshDeps } from './deps.ts';
import { explainCertificate, type ExplainCheck } from './explain.ts';
import { currentKrl } from './publish-krl.ts';
import { renewHostCertificate, type RenewRequest } from './renew.ts';
import { revokeSsh, type RevokeRequest } from './revoke.ts';
import { deleteRole, putRole } from './roles.ts';
import { retireCa, rotateCa } from './rotate.ts';
import { signCertificate, type SignedCertificate, type SignRequest } from './sign.ts';
import type { StoredKrl } from './store.ts';
import type { SshCa, SshCertRecord, SshRequester, SshRevocation, SshRole } from './types.ts';
import type { SshCaAlgorithm } from './signer.ts';

/** The SSH CA's operations as the admin API and the CLI call them; holds the loaded CA keys of this process. */
export class SshService {
  private readonly signers = new SignerCache();

  constructor(private readonly deps: SshDeps) {}

  /** Who a token is, for role checks and principal templates; `anyRole` when its role may sign with every SSH role. */
  async requester(caller: { tokenId: string; anyRole: boolean }): Promise<SshRequester> {
    const name = (await this.deps.store.tokenName(caller.tokenId)) ?? caller.tokenId;
    return { tokenId: caller.tokenId, tokenName: name, admin: caller.anyRole, actor: `token:${caller.tokenId}` };
  }

  createCa(kind: SshCertKind, algorithm: SshCaAlgorithm, actor: string): Promise<SshCa> {
    return createCa(this.deps, kind, algorithm, actor);
  }

  listCas(): Promise<SshCa[]> {
    return this.deps.store.cas();
  }

  rotateCa(kind: SshCertKind, actor: string): Promise<{ active: SshCa; retiring: SshCa | undefined }> {
    return rotateCa(this.deps, kind, actor);
  }

  retireCa(id: string, actor: string): Promise<SshCa> {
    return retireCa(this.deps, id, actor);
  }

  putRole(name: string, spec: Record<string, unknown>, actor: string): Promise<SshRole> {
    return putRole(this.deps, name, spec, actor);
  }

  deleteRole(name: string, actor: string): Promise<void> {
    return deleteRole(this.deps, name, actor);
  }

  async role(name: string): Promise<SshRole> {
    const found = await this.deps.store.role(name);
    if (!found) throw new AppError('notFound', `No SSH role "${name}"; see "certainty ssh role list"`);
    return found.role;
  }

  roles(): Promise<SshRole[]> {
    return this.deps.store.roles();
  }

  sign(req: SignRequest, who: SshRequester): Promise<SignedCertificate> {
    return this.counted(signCertificate({ ...this.deps, signers: this.signers }, req, who), async () => (await this.deps.store.role(req.role))?.role.kind ?? 'unknown');
  }

  /** A host's renewal by proof of possession (no token). */
  renewHost(req: RenewRequest): Promise<SignedCertificate> {
    return this.counted(renewHostCertificate({ ...this.deps, signers: this.signers }, req), async () => 'host');
  }

  /** Reports the outcome; a refusal's kind is looked up only then, off the signing path. */
  private async counted(signing: Promise<SignedCertificate>, kindOfRefused: () => Promise<SshCertKind | 'unknown'>): Promise<SignedCertificate> {
    try {
      const signed = await signing;
      this.deps.report?.sshSigned(signed.kind, 'signed');
      return signed;
    } catch (err) {
      if (this.deps.report) this.deps.report.sshSigned(await kindOfRefused().catch(() => 'unknown' as const), 'refused');
      throw err;
    }
  }

  certificates(limit: number): Promise<SshCertRecord[]> {
    return this.deps.store.certificates(limit);
  }

  counts(): Promise<{ certificates: number; revoked: number; revocations: number }> {
    return this.deps.store.counts();
  }

  /** Revokes, then rebuilds the KRL for freshness; if that fails the `ssh-krl` duty or the next `GET /ssh/krl` does it. */
  async revoke(req: RevokeRequest, actor: string): Promise<SshRevocation & { created: boolean }> {
    const out = await revokeSsh(this.deps, req, actor);
    await currentKrl(this.deps.store).catch(() => undefined);
    return out;
  }

  krl(): Promise<StoredKrl> {
    return currentKrl(this.deps.store);
  }

  /** The trust lines: user CA keys (TrustedUserCAKeys), host CAs as `@cert-authority` lines, or both with comments. */
  async trustLines(kind: SshCertKind | undefined, hostPattern = '*'): Promise<string> {
    const cas = await trustedCas(this.deps, kind);
    const lines = cas.map((ca) => (ca.kind === 'host' ? `@cert-authority ${hostPattern} ${ca.publicKey}` : ca.publicKey));
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  async configText(baseUrl: string, hostPattern: string): Promise<string> {
    return sshConfigText({ baseUrl, userCas: await trustedCas(this.deps, 'user'), hostCas: await trustedCas(this.deps, 'host'), hostPattern });
  }

  async explain(certificate: string, o: { principal?: string; at?: number; kind?: SshCertKind }): Promise<{ accepted: boolean; checks: ExplainCheck[] }> {
    return explainCertificate(certificate, {
      cas: await this.deps.store.cas(), revocations: await this.deps.store.revocations(), at: o.at ?? this.deps.now(),
      ...(o.principal === undefined ? {} : { principal: o.principal }), ...(o.kind === undefined ? {} : { kind: o.kind }),
    });
  }
}
