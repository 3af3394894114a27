import type { Logger } from 'pino';
import type { SecretDeps } from './deps.ts';
import { expireVersions } from './expire.ts';
import { rotateDue } from './rotate.ts';

/** The `secrets` duty: expired versions soft-deleted, due generated secrets rotated; failures logged, never values. */
export async function runSecretsDuty(deps: SecretDeps, actor: string, log: Logger): Promise<void> {
  const expired = await expireVersions(deps);
  const { rotated, failed } = await rotateDue(deps, actor);
  for (const f of failed) log.warn({ path: f.path, error: f.error }, 'secret rotation failed (a failed write stays due; a failed notification is not sent again)');
  log.debug({ expired, rotated: rotated.length }, 'secrets duty done');
}
