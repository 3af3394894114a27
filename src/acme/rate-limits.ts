import { AppError } from '../errors.ts';
import type { AcmeDeps } from './context.ts';
import type { Identifier } from './types.ts';

interface Window {
  count: number;
  oldest: number | null;
}

/**
 * Rate limits are counted from rows every node writes (orders, certificate names, failed
 * authorizations), so they hold cluster-wide with no counter in memory. Under concurrency a limit
 * can be passed by at most the number of requests racing past the same check.
 */
function enforce(deps: AcmeDeps, w: Window, limit: { limit: number; windowSeconds: number }, what: string): void {
  if (w.count < limit.limit) return;
  const now = deps.now();
  const reopens = (w.oldest ?? now) + limit.windowSeconds * 1000;
  const retryAfter = Math.max(1, Math.ceil((reopens - now) / 1000));
  throw new AppError('rateLimited', `${what}: ${w.count} in the last ${limit.windowSeconds} s (limit ${limit.limit}); retry after ${new Date(reopens).toISOString()}`, {
    retryAfter,
  });
}

export async function checkNewOrderLimits(deps: AcmeDeps, accountId: string, identifiers: Identifier[]): Promise<void> {
  const { ordersPerAccount, certificatesPerName, failedValidationsPerAccount } = deps.settings.rateLimits;
  const now = deps.now();
  enforce(deps, await deps.store.countOrdersSince(accountId, now - ordersPerAccount.windowSeconds * 1000), ordersPerAccount, 'Too many new orders for this account');
  enforce(
    deps,
    await deps.store.countFailedAuthorizationsSince(accountId, now - failedValidationsPerAccount.windowSeconds * 1000),
    failedValidationsPerAccount,
    'Too many failed validations for this account',
  );
  for (const id of identifiers) {
    const w = await deps.store.countCertificatesForNameSince(id.value, now - certificatesPerName.windowSeconds * 1000);
    enforce(deps, w, certificatesPerName, `Too many certificates already issued for "${id.value}"`);
  }
}
