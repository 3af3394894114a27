import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';
import type { SshCertKind } from './certificate.ts';
import { caKeyAad, type SshDeps } from './deps.ts';
import { publicKeyLine } from './keys.ts';
import { generateCaKey, loadSigner, type SshCaAlgorithm, type SshSigner } from './signer.ts';
import type { SshCa } from './types.ts';

/**
 * Creates a CA of `kind`. The first one of its kind signs at once (`active`); a later one is
 * added as `standby`, trusted beside the active one but not signing until `rotateCa`, so hosts
 * and clients can learn it first.
 */
export async function createCa(deps: SshDeps, kind: SshCertKind, algorithm: SshCaAlgorithm, actor: string): Promise<SshCa> {
  const id = `${kind}-${randomBytes(5).toString('hex')}`;
  const { privatePem, publicBlob } = generateCaKey(algorithm);
  const keyWrapped = deps.kek.wrap(Buffer.from(privatePem), caKeyAad(id));
  const base = { id, kind, algorithm, publicKey: publicKeyLine(publicBlob, `certainty-${id}`), createdAt: deps.now(), version: 1 };
  return deps.store.transaction(async (s) => {
    const hasActive = (await s.cas(kind)).some((c) => c.status === 'active');
    const ca: SshCa = { ...base, status: hasActive ? 'standby' : 'active' };
    // Two nodes creating the first CA at once: the loser's becomes standby (one active per kind).
    if (!(await s.insertCa(ca, keyWrapped))) {
      ca.status = 'standby';
      await s.insertCa(ca, keyWrapped);
    }
    await s.audit({ actor, action: 'ssh.ca-created', object: `ssh-ca:${id}`, outcome: 'success', details: { kind, algorithm, status: ca.status } });
    return ca;
  });
}

/** The CA that signs for `kind`, created (Ed25519) on first use. */
export async function activeCa(deps: SshDeps, kind: SshCertKind, actor: string): Promise<SshCa> {
  const found = (await deps.store.cas(kind)).find((c) => c.status === 'active');
  if (found) return found;
  const created = await createCa(deps, kind, 'ed25519', actor);
  if (created.status === 'active') return created;
  const winner = (await deps.store.cas(kind)).find((c) => c.status === 'active');
  if (!winner) throw new AppError('conflict', `No active ${kind} CA; retry`);
  return winner;
}

/** Loads (and caches, per service instance) a CA's signer; the key is unwrapped once per process. */
export class SignerCache {
  private readonly signers = new Map<string, SshSigner>();

  async get(deps: SshDeps, ca: SshCa): Promise<SshSigner> {
    const cached = this.signers.get(ca.id);
    if (cached) return cached;
    const wrapped = await deps.store.caKey(ca.id);
    if (!wrapped) throw new AppError('notFound', `No SSH CA ${ca.id}`);
    const pem = deps.kek.unwrap(wrapped, caKeyAad(ca.id));
    try {
      const signer = loadSigner(ca.algorithm, pem);
      this.signers.set(ca.id, signer);
      return signer;
    } finally {
      pem.fill(0);
    }
  }
}

/** The CAs clients and servers should trust: every one not retired, the signing one first. */
export async function trustedCas(deps: Pick<SshDeps, 'store'>, kind?: SshCertKind): Promise<SshCa[]> {
  const order = { active: 0, standby: 1, retiring: 2, retired: 3 } as const;
  return (await deps.store.cas(kind)).filter((c) => c.status !== 'retired').sort((a, b) => order[a.status] - order[b.status]);
}
