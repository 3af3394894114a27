import { canonicalIp, ipToBytes } from '../ca/ip.ts';
import { AppError } from '../errors.ts';
import type { AcmeDeps } from './context.ts';
import type { AcmeStore } from './store.ts';
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
  // The three kinds of count do not depend on each other: asked at once, a request waits for the
  // slowest rather than for all in turn. Names are counted one after another (up to 100 per order).
  const perName = async (): Promise<Window[]> => {
    const windows: Window[] = [];
    for (const id of identifiers) windows.push(await deps.store.countCertificatesForNameSince(id.value, now - certificatesPerName.windowSeconds * 1000));
    return windows;
  };
  const [orders, failed, names] = await Promise.all([
    deps.store.countOrdersSince(accountId, now - ordersPerAccount.windowSeconds * 1000),
    deps.store.countFailedAuthorizationsSince(accountId, now - failedValidationsPerAccount.windowSeconds * 1000),
    perName(),
  ]);
  enforce(deps, orders, ordersPerAccount, 'Too many new orders for this account');
  enforce(deps, failed, failedValidationsPerAccount, 'Too many failed validations for this account');
  identifiers.forEach((id, i) => enforce(deps, names[i] as Window, certificatesPerName, `Too many certificates already issued for "${id.value}"`));
}

/**
 * What new accounts are counted per: the IPv4 address, or the IPv6 /64 (the smallest prefix a
 * host or site is normally given, RFC 6177: counting single IPv6 addresses would let one host
 * dodge the limit with addresses of its own /64).
 */
export function addressGroup(address: string): string {
  const canonical = canonicalIp(address);
  if (canonical === undefined || !canonical.includes(':')) return canonical ?? address;
  const bytes = ipToBytes(canonical);
  const groups = Array.from({ length: 4 }, (_, i) => (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16));
  return `${groups.join(':')}::/64`;
}

/** New accounts per client address: the bound that keeps per-account limits from being dodged with fresh accounts. */
export async function checkNewAccountLimits(deps: AcmeDeps, group: string): Promise<void> {
  const { accountsPerAddress } = deps.settings.rateLimits;
  const since = deps.now() - accountsPerAddress.windowSeconds * 1000;
  enforce(deps, await deps.store.countAccountsFromSince(group, since), accountsPerAddress, `Too many new accounts from ${group}`);
}

/**
 * Refuses a validation request while the account already has `pendingValidationsPerAccount`
 * validations queued or running. Called in the transaction that queues the validation (the
 * account row is locked, so the cap is exact). Retry-After is one validation's deadline: by then
 * a running one has finished.
 */
export async function checkPendingValidations(deps: AcmeDeps, store: AcmeStore, accountId: string): Promise<void> {
  const limit = deps.settings.rateLimits.pendingValidationsPerAccount;
  const pending = await store.pendingValidations(accountId);
  if (pending < limit) return;
  throw new AppError('rateLimited', `Too many pending validations for this account: ${pending} queued or running (limit ${limit}); retry when some have finished`, {
    retryAfter: Math.max(1, Math.ceil(deps.settings.validationTimeoutMs / 1000)),
  });
}
