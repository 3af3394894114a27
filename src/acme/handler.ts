import { AppError } from '../errors.ts';
import { accountOrders, updateAccount } from './account.ts';
import { authorization } from './authorization.ts';
import { downloadCertificate } from './certificate.ts';
import { challenge } from './challenge.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';
import { directory, newNonce } from './directory.ts';
import { finalize } from './finalize.ts';
import { keyChange } from './key-change.ts';
import type { Route } from './linker.ts';
import { newAccount } from './new-account.ts';
import { newOrder } from './new-order.ts';
import { getOrder } from './order.ts';
import { renewalInfo } from './renewal-info.ts';
import { revokeCert } from './revoke.ts';

export type AcmeRoute = Route;

const METHODS: { [K in AcmeRoute['kind']]: readonly string[] } = {
  directory: ['GET', 'HEAD'],
  newNonce: ['GET', 'HEAD'],
  renewalInfo: ['GET', 'HEAD'],
  newAccount: ['POST'],
  newOrder: ['POST'],
  revokeCert: ['POST'],
  keyChange: ['POST'],
  account: ['POST'],
  accountOrders: ['POST'],
  order: ['POST'],
  finalize: ['POST'],
  authz: ['POST'],
  challenge: ['POST'],
  certificate: ['POST'],
};

/** Dispatches one ACME request to its use case. The HTTP edge has checked method, size and content type. */
export function handleAcme(deps: AcmeDeps, req: AcmeRequest, route: AcmeRoute): Promise<AcmeResponse> | AcmeResponse {
  const allowed = METHODS[route.kind];
  if (!allowed.includes(req.method)) {
    const hint = allowed.includes('POST') ? '; ACME resources are fetched with POST-as-GET' : '';
    throw new AppError('methodNotAllowed', `${req.method} is not allowed here (allowed: ${allowed.join(', ')})${hint}`, {
      headers: { Allow: allowed.join(', ') },
    });
  }
  switch (route.kind) {
    case 'directory': return directory(deps, req);
    case 'newNonce': return newNonce(req);
    case 'renewalInfo': return renewalInfo(deps, req, route.id);
    case 'newAccount': return newAccount(deps, req);
    case 'newOrder': return newOrder(deps, req);
    case 'revokeCert': return revokeCert(deps, req);
    case 'keyChange': return keyChange(deps, req);
    case 'account': return updateAccount(deps, req, route.id);
    case 'accountOrders': return accountOrders(deps, req, route.id);
    case 'order': return getOrder(deps, req, route.id);
    case 'finalize': return finalize(deps, req, route.id);
    case 'authz': return authorization(deps, req, route.id);
    case 'challenge': return challenge(deps, req, route.id);
    case 'certificate': return downloadCertificate(deps, req, route.id);
  }
}
