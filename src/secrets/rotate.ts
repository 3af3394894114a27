import { AppError } from '../errors.ts';
import { appendVersion, type Appended } from './append.ts';
import { rulesOf, type SecretDeps } from './deps.ts';
import { withGenerated } from './generate.ts';
import { checkPath } from './path.ts';
import type { SecretCaller } from './types.ts';

/** Writes the next generated value of a generated secret (needs `update`) and notifies the webhook. */
export async function rotateSecret(deps: SecretDeps, caller: SecretCaller, path: string): Promise<Appended> {
  checkPath(path);
  const rules = await rulesOf(deps, caller);
  const row = await deps.store.secret(path);
  const generator = row?.settings.generator;
  if (row === undefined) throw new AppError('notFound', `No secret at ${path}`);
  if (generator === null || generator === undefined) throw new AppError('malformed', `${path} was not generated: only generated secrets rotate ("certainty secret generate" makes one)`);
  const done = await appendVersion(deps, caller, rules, {
    path, cas: undefined, needsLatest: true, mustExist: true, action: 'secret.rotated', capability: 'update',
    data: (latest) => withGenerated(latest, generator),
  });
  await deps.notifier?.notify({ event: 'rotated', path, version: done.version, actor: caller.actor, at: done.createdAt });
  return done;
}

/**
 * The rotation duty: rotates every generated secret that is due, at most `limit` a run. Failures
 * are returned for the duty to log: a failed write leaves the secret due for the next run; a
 * failed notification leaves the new version in place (the audit record says it was rotated).
 */
export async function rotateDue(deps: SecretDeps, actor: string, limit = 100): Promise<{ rotated: Appended[]; failed: Array<{ path: string; error: string }> }> {
  const caller: SecretCaller = { actor, tokenId: undefined, admin: true };
  const rotated: Appended[] = [];
  const failed: Array<{ path: string; error: string }> = [];
  for (const path of await deps.store.dueRotations(deps.now(), limit)) {
    try {
      rotated.push(await rotateSecret(deps, caller, path));
    } catch (err) {
      failed.push({ path, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { rotated, failed };
}
