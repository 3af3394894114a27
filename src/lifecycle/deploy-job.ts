/**
 * The `lifecycle-deploy` job: one revision to one deploy target, then closed-loop verification
 * when the target names a TLS endpoint. Queued with the revision, in the transaction that records
 * it, one job per (certificate, revision, target); targets are idempotent, so a job run twice
 * after a crash deploys once. A deploy that succeeds completes its job itself, in the transaction
 * that clears its conditions and keeps it as the target's last finished deploy (deploy-status.ts).
 */
import type { Logger } from 'pino';
import { AppError, isAppError } from '../errors.ts';
import { certSha256Hex } from '../ca/pem.ts';
import type { Kek } from '../kek/kek.ts';
import { deployConditions } from './conditions.ts';
import { deployTo } from './deploy/deploy.ts';
import type { CertificateMaterial } from './deploy/types.ts';
import { verifyServed } from './deploy/verify.ts';
import { inMaintenanceWindow, nextWindowOpening } from './deploy/window.ts';
import type { LifecycleReport } from './report.ts';
import type { LifecycleStore } from './store.ts';
import { revealTarget, unwrapTargetSecrets } from './target-secrets.ts';
import { jobSubject, revisionKeyAad, type ManagedCertificate } from './types.ts';

export const DEPLOY_JOB = 'lifecycle-deploy';

async function queueDeploy(store: LifecycleStore, cert: ManagedCertificate, revision: number, target: number, delayMs: number, suffix: string): Promise<void> {
  await store.enqueueJob(DEPLOY_JOB, { name: cert.name, revision, target }, {
    idempotencyKey: `${DEPLOY_JOB}:${jobSubject(cert)}:${revision}:${target}${suffix}`, maxAttempts: 5, fairKey: `managed:${cert.name}`, delayMs,
  });
}

/**
 * Queues one deploy job per target of the new revision (in the caller's transaction); `suffix`
 * tells a second deploy of the same revision apart (its targets changed).
 */
export async function queueDeploys(store: LifecycleStore, cert: ManagedCertificate, revision: number, suffix = ''): Promise<void> {
  for (let target = 0; target < cert.spec.targets.length; target++) await queueDeploy(store, cert, revision, target, 0, suffix);
}

export interface DeployJobDeps {
  store: LifecycleStore;
  kek: Kek;
  now: () => number;
  log: Logger;
  /** Resolves a target's secret reference (a webhook's HMAC key) from the secrets store. */
  secret?: (ref: string) => Promise<string>;
  report: LifecycleReport;
}

async function material(deps: DeployJobDeps, cert: ManagedCertificate, revision: number): Promise<CertificateMaterial | undefined> {
  const rev = (await deps.store.revisions(cert.name)).find((r) => r.revision === revision);
  const wrapped = await deps.store.revisionKey(cert.name, revision);
  if (!rev || !wrapped) return undefined;
  const pkcs8 = deps.kek.unwrap(wrapped, revisionKeyAad(cert.name, revision));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return {
    name: cert.name, certPem: rev.certPem, chainPem: rev.chainPem, keyPem, serial: rev.serial, notAfter: rev.notAfter,
    fingerprint256: certSha256Hex(rev.certPem), names: cert.spec.names,
  };
}

/**
 * Deploys revision `revision` of `name` to target `target`; a superseded revision or removed
 * target is skipped. 'completed' when it completed `job` itself (a successful deploy).
 */
export async function runDeploy(deps: DeployJobDeps, payload: Record<string, unknown>, job: { id: string; owner: string }): Promise<void | 'completed'> {
  const name = String(payload.name);
  const revision = Number(payload.revision);
  const index = Number(payload.target);
  const cert = await deps.store.managed(name);
  const declared = cert?.spec.targets[index];
  if (!cert || !declared || cert.currentRevision !== revision) return;
  const at = new Date(deps.now());
  if (!inMaintenanceWindow(declared, at)) {
    const opens = nextWindowOpening(declared, at).getTime();
    // Outside the target's maintenance window: the same deploy, queued for when it opens.
    await queueDeploy(deps.store, cert, revision, index, opens - at.getTime(), `:${opens}`);
    return;
  }
  const m = await material(deps, cert, revision);
  if (!m) return;
  // Secret values are unwrapped here, for this deploy only.
  const secrets = unwrapTargetSecrets(deps.kek, name, await deps.store.targetSecrets(name));
  const spec = await revealTarget(declared, index, secrets, deps.secret);
  let unverified = false;
  try {
    const outcome = await deployTo(spec, m, { now: deps.now, log: deps.log, ...(deps.secret === undefined ? {} : { secret: deps.secret }) });
    if (spec.verify) {
      const v = await verifyServed(spec.verify, m.fingerprint256, { attempts: spec.verify.attempts, delayMs: spec.verify.delayMs });
      if (!v.verified) {
        unverified = true;
        await deployConditions(deps.store, name, index, { unverified: v.detail });
        throw new AppError('deployFailed', `deployed to the ${spec.type} target of ${name}, but ${v.detail}`);
      }
    }
    const kept = await deps.store.transaction(async (s) => {
      await deployConditions(s, name, index, {});
      return s.finishDeploy(job, { name, revision, target: index });
    });
    deps.report.deployFinished(spec.type, spec.verify ? 'verified' : 'deployed');
    // A lost claim means another node took the job over: it completes it and keeps its outcome.
    deps.log.info({ managed: name, revision, target: index, changed: outcome.changed, ...(kept ? {} : { claimLost: true }) }, outcome.detail);
    return 'completed';
  } catch (err) {
    deps.report.deployFinished(spec.type, 'failed');
    if (!unverified) await deployConditions(deps.store, name, index, { failed: isAppError(err) ? err.detail : (err as Error).message });
    throw err;
  }
}
