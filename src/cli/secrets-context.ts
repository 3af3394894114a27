import type { Command } from 'commander';
import type { AuditActor } from '../audit/log.ts';
import { openCa, openCliAudit, secretDeps, type CaContext } from '../context.ts';
import type { SecretDeps } from '../secrets/deps.ts';
import { configFrom, quietLogger } from './options.ts';

/** Opens the installation (never creates anything), runs `fn` as the operator, signs what it recorded, closes. */
export async function withSecrets<T>(cmd: Command, fn: (deps: SecretDeps, audit: AuditActor, ctx: Pick<CaContext, 'db' | 'kek'>) => Promise<T>): Promise<T> {
  const config = configFrom(cmd);
  const ctx = await openCa(config, quietLogger(config), Date.now, false);
  const audit = openCliAudit(ctx.db, config.dataDir);
  try {
    return await fn(secretDeps({ db: ctx.db, kek: ctx.kek, recorder: audit.recorder, now: Date.now }), audit, ctx);
  } finally {
    await audit.seal(ctx.kek).finally(() => ctx.db.close());
  }
}
