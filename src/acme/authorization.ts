import { AppError } from '../errors.ts';
import { authenticateKid } from './authenticate.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse, Authenticated } from './context.ts';
import { parsePayload } from './jws.ts';
import type { Authorization } from './types.ts';
import { authorizationJson } from './wire.ts';

async function ownedAuthorization(deps: AcmeDeps, auth: Authenticated, id: string): Promise<Authorization> {
  return ownedBy(auth, await deps.store.authorizationById(id));
}

/** The authorization if it belongs to the signing account, else 404 (the same answer whether absent or not theirs). */
export function ownedBy(auth: Authenticated, authz: Authorization | undefined): Authorization {
  if (!authz || authz.accountId !== auth.account.id) throw new AppError('notFound', 'No authorization of this account at this URL');
  return authz;
}

/** The authorization as the client should see it (expiry applies before housekeeping runs). */
export function effectiveAuthorization(authz: Authorization, now: number): Authorization {
  return authz.status === 'pending' && authz.expiresAt < now ? { ...authz, status: 'expired' } : authz;
}

function respond(deps: AcmeDeps, req: AcmeRequest, authz: Authorization): AcmeResponse {
  const shown = effectiveAuthorization(authz, deps.now());
  const headers: Record<string, string> = {};
  if (shown.status === 'pending') headers['Retry-After'] = String(deps.settings.retryAfterSeconds);
  return { status: 200, headers, json: authorizationJson(shown, req.linker) };
}

/** POST-as-GET of an authorization, or deactivation (RFC 8555 §7.5.2). */
export async function authorization(deps: AcmeDeps, req: AcmeRequest, id: string): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  const authz = await ownedAuthorization(deps, auth, id);
  if (auth.postAsGet) return respond(deps, req, authz);
  const payload = parsePayload(auth.payload);
  if (payload.status !== 'deactivated') throw new AppError('malformed', 'The only change a client may make to an authorization is "status": "deactivated"');
  if (authz.status !== 'pending' && authz.status !== 'valid') {
    throw new AppError('malformed', `Only pending or valid authorizations can be deactivated (this one is ${authz.status})`);
  }
  await deps.store.transaction(async (store) => {
    await store.lockOrder(authz.orderId);
    if (!(await store.updateAuthorization({ ...authz, status: 'deactivated' }))) throw new AppError('conflict', 'The authorization changed concurrently; retry');
    const order = await store.orderById(authz.orderId);
    // RFC 8555 §7.1.6: an order whose authorization is deactivated becomes invalid.
    if (order && (order.status === 'pending' || order.status === 'ready')) {
      const error = { type: 'urn:ietf:params:acme:error:unauthorized', detail: `Authorization for ${authz.identifier.value} was deactivated`, status: 403 };
      if (!(await store.updateOrder({ ...order, status: 'invalid', error }))) throw new AppError('conflict', 'The order changed concurrently; retry');
    }
  });
  return respond(deps, req, { ...authz, status: 'deactivated', version: authz.version + 1 });
}
