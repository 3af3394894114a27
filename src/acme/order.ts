import { AppError } from '../errors.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse, Authenticated } from './context.ts';
import { authenticateKid } from './authenticate.ts';
import type { Order } from './types.ts';
import { orderJson } from './wire.ts';

/** Loads an order of the signing account, or 404 (the same answer whether absent or not theirs). */
async function ownedOrder(deps: AcmeDeps, auth: Authenticated, id: string): Promise<Order> {
  return orderOwnedBy(auth, await deps.store.orderById(id));
}

export function orderOwnedBy(auth: Authenticated, order: Order | undefined): Order {
  if (!order || order.accountId !== auth.account.id) throw new AppError('notFound', 'No order of this account at this URL');
  return order;
}

/** The order as the client should see it: expiry applies even before housekeeping runs. */
export function effectiveOrder(order: Order, now: number): Order {
  if ((order.status === 'pending' || order.status === 'ready') && order.expiresAt < now) {
    return { ...order, status: 'invalid', error: order.error ?? { type: 'urn:ietf:params:acme:error:malformed', detail: 'The order expired', status: 400 } };
  }
  return order;
}

/** `authzIds` when the caller read them already (an order's authorizations never change). */
export async function orderResponse(deps: AcmeDeps, req: AcmeRequest, order: Order, authzIds?: Promise<string[]>): Promise<AcmeResponse> {
  const ids = await (authzIds ?? authorizationIds(deps, order.id));
  const shown = effectiveOrder(order, deps.now());
  const headers: Record<string, string> = {};
  if (shown.status === 'processing' || shown.status === 'pending') headers['Retry-After'] = String(deps.settings.retryAfterSeconds);
  return { status: 200, headers, json: orderJson(shown, ids, req.linker) };
}

/** POST-as-GET of an order (RFC 8555 §7.1.3). */
export async function getOrder(deps: AcmeDeps, req: AcmeRequest, id: string): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  if (!auth.postAsGet) throw new AppError('malformed', 'Fetch an order with POST-as-GET (an empty payload)');
  // Read beside the order (not after it): shown only once the order proved to be this account's.
  const authzIds = authorizationIds(deps, id);
  authzIds.catch(() => undefined);
  return orderResponse(deps, req, await ownedOrder(deps, auth, id), authzIds);
}

export async function authorizationIds(deps: AcmeDeps, orderId: string): Promise<string[]> {
  return (await deps.store.authorizationsForOrder(orderId)).map((a) => a.id);
}
