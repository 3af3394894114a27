/** Managed certificates: what operators declare, their revisions, and asking for a renewal now. */
import { AppError } from '../errors.ts';
import type { EnqueueOptions } from '../jobs/queue.ts';
import { deployStatus, type TargetDeploy } from './deploy-status.ts';
import type { LifecycleServiceDeps } from './issuers.ts';
import { parseManagedInput } from './managed-input.ts';
import { statusLine } from './status.ts';
import type { LifecycleStore } from './store.ts';
import { sealTargets, wrapTargetSecrets } from './target-secrets.ts';
import { solverView, type SolverView } from './solvers.ts';
import { jobSubject, tsigAad, type ManagedCertificate, type ManagedSpec, type Revision } from './types.ts';

/** The durable job that runs one renewal attempt of one managed certificate (src/lifecycle/renew.ts). */
export const RENEW_JOB = 'lifecycle-renew';

/**
 * One job per renewal attempt cluster-wide: the key names the certificate's renewal sequence,
 * which only the attempt's own end advances, so the duty, `renew --now` and a second node all
 * queue the same job.
 */
function renewJobOptions(cert: Pick<ManagedCertificate, 'name' | 'createdAt'>, seq: number): EnqueueOptions {
  return { idempotencyKey: `${RENEW_JOB}:${jobSubject(cert)}:${seq}`, maxAttempts: 5, fairKey: `managed:${cert.name}` };
}

/** Queues the renewal attempt for the certificate's current sequence (a no-op when it is queued already). */
export async function queueRenewal(store: LifecycleStore, cert: Pick<ManagedCertificate, 'name' | 'renewalSeq' | 'createdAt'>): Promise<void> {
  await store.enqueueJob(RENEW_JOB, { name: cert.name, seq: cert.renewalSeq, created: cert.createdAt }, renewJobOptions(cert, cert.renewalSeq));
}

/** A managed certificate as readers see it: the solver without its sealed TSIG secret. */
/**
 * Stores a parsed managed certificate in the caller's transaction: its targets' inline secret
 * values wrapped apart, its first order queued, the addition audited (with `details` added).
 */
export async function insertManagedIn(
  s: LifecycleStore, deps: Pick<LifecycleServiceDeps, 'kek' | 'now' | 'actor'>, parsed: { name: string; issuer: string; spec: ManagedSpec }, details: Record<string, unknown>,
): Promise<void> {
  const { name, issuer } = parsed;
  const { targets, secrets } = sealTargets(parsed.spec.targets);
  const spec = { ...parsed.spec, targets };
  const now = deps.now();
  const cert: ManagedCertificate = {
    name, issuer, spec, currentRevision: 0, renewalSeq: 1, nextRenewalAt: now, renewalRule: 'new', ari: undefined, ariPollAt: undefined,
    failures: 0, lastOutcome: 'none', lastDetail: 'not issued yet', lastAttemptAt: undefined, pendingOrderUrl: undefined, createdAt: now, version: 1,
  };
  if (!(await s.issuer(issuer))) throw new AppError('notFound', `no issuer ${issuer}; add it with "certainty issuer add"`);
  if (!(await s.insertManaged(cert))) throw new AppError('conflict', `managed certificate ${name} already exists`);
  await s.putTargetSecrets(name, wrapTargetSecrets(deps.kek, name, secrets));
  await queueRenewal(s, cert);
  await s.audit({
    actor: deps.actor, action: 'lifecycle.managed-added', object: `managed:${name}`, outcome: 'success',
    details: { issuer, names: spec.names, keyType: spec.keyType, targets: spec.targets.length, ...details },
  });
}

export interface ManagedView extends Omit<ManagedCertificate, 'spec'> {
  spec: Omit<ManagedSpec, 'solver'> & { solver: SolverView };
  status: string;
  current: Revision | undefined;
  /** Each deploy target's last outcome (one certificate's view only, not the list). */
  deploys?: TargetDeploy[];
}

export class ManagedService {
  constructor(private readonly deps: LifecycleServiceDeps) {}

  /** Adds a managed certificate; its first order is queued at once. */
  async add(input: unknown): Promise<ManagedView> {
    const parsed = parseManagedInput(input, (secret, n) => this.deps.kek.wrap(secret, tsigAad(n)).toString('base64'));
    await this.deps.store.transaction((s) => insertManagedIn(s, this.deps, parsed, {}));
    return this.show(parsed.name);
  }

  async list(): Promise<ManagedView[]> {
    const now = this.deps.now();
    const certs = await this.deps.store.managedList();
    return certs.map((c) => ({ ...c, spec: { ...c.spec, solver: solverView(c.spec.solver) }, status: statusLine(c, undefined, now), current: undefined }));
  }

  async show(name: string): Promise<ManagedView> {
    const cert = await this.get(name);
    const [current] = await this.deps.store.revisions(name);
    const now = this.deps.now();
    const deploys = deployStatus(cert.spec.targets, await this.deps.store.deployRecords(name), now);
    return { ...cert, spec: { ...cert.spec, solver: solverView(cert.spec.solver) }, status: statusLine(cert, current, now), current, deploys };
  }

  async history(name: string): Promise<Revision[]> {
    await this.get(name);
    return this.deps.store.revisions(name);
  }

  /** `managed renew NAME --now`: due at once, whatever the rules said (audited). */
  async renewNow(name: string): Promise<ManagedView> {
    await this.deps.store.transaction(async (s) => {
      const cert = await s.managed(name);
      if (!cert) throw new AppError('notFound', `no managed certificate ${name}; see "certainty managed list"`);
      const state = { ...cert, nextRenewalAt: this.deps.now(), renewalRule: 'operator' as const };
      if (!(await s.updateRenewalState(name, cert.version, state, false))) throw new AppError('conflict', `managed certificate ${name} changed meanwhile; run the command again`);
      await queueRenewal(s, cert);
      await s.audit({ actor: this.deps.actor, action: 'lifecycle.renewal-requested', object: `managed:${name}`, outcome: 'success', details: { seq: cert.renewalSeq } });
    });
    return this.show(name);
  }

  async remove(name: string): Promise<void> {
    await this.deps.store.transaction(async (s) => {
      if (!(await s.deleteManaged(name))) throw new AppError('notFound', `no managed certificate ${name}; see "certainty managed list"`);
      await s.audit({ actor: this.deps.actor, action: 'lifecycle.managed-removed', object: `managed:${name}`, outcome: 'success' });
    });
  }

  private async get(name: string): Promise<ManagedCertificate> {
    const cert = await this.deps.store.managed(name);
    if (!cert) throw new AppError('notFound', `no managed certificate ${name}; see "certainty managed list"`);
    return cert;
  }
}
