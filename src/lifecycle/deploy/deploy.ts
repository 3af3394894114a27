/**
 * The one entry point the lifecycle core calls for a deploy job. Each target is idempotent:
 * deploying the material a target already has reports `changed: false` and touches nothing, so
 * a job that runs twice (a node died after the deploy but before recording it) does no harm.
 * Maintenance windows are the caller's to check (`inMaintenanceWindow`), so an operator's
 * forced deploy can ignore them.
 */
import { deployExec } from './exec-target.ts';
import { deployFiles } from './file-target.ts';
import { deployHaproxy } from './haproxy-target.ts';
import { deployNginx } from './nginx-target.ts';
import type { CertificateMaterial, DeployDeps, DeployOutcome, TargetSpec } from './types.ts';
import { deployWebhook } from './webhook-target.ts';

/** Deploys `material` to `spec`; failures an operator must act on are `deployFailed` AppErrors. */
export async function deployTo(spec: TargetSpec, material: CertificateMaterial, deps: DeployDeps): Promise<DeployOutcome> {
  const outcome = await dispatch(spec, material, deps);
  // Only names and serials: never key material.
  deps.log.info({ target: spec.type, certificate: material.name, serial: material.serial, changed: outcome.changed }, 'deploy target done');
  return outcome;
}

function dispatch(spec: TargetSpec, material: CertificateMaterial, deps: DeployDeps): Promise<DeployOutcome> {
  switch (spec.type) {
    case 'file': return deployFiles(spec, material);
    case 'exec': return deployExec(spec, material);
    case 'haproxy': return deployHaproxy(spec, material);
    case 'nginx': return deployNginx(spec, material);
    case 'webhook': return deployWebhook(spec, material, deps);
  }
}
