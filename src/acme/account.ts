import { AppError } from '../errors.ts';
import { authenticateKid } from './authenticate.ts';
import { checkContacts } from './contacts.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';
import { parsePayload } from './jws.ts';
import type { Account } from './types.ts';
import { accountJson } from './wire.ts';

const ORDERS_PAGE = 100;

function ownAccount(account: Account, id: string): void {
  if (account.id !== id) throw new AppError('unauthorized', 'The request is signed by a different account than the one in the URL');
}

/** RFC 8555 §7.3.2 (update), §7.3.6 (deactivate) and POST-as-GET of an account. */
export async function updateAccount(deps: AcmeDeps, req: AcmeRequest, id: string): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  ownAccount(auth.account, id);
  if (auth.postAsGet) return { status: 200, json: accountJson(auth.account, req.linker) };
  const payload = parsePayload(auth.payload);
  const next: Account = { ...auth.account };
  if (payload.status !== undefined) {
    if (payload.status !== 'deactivated') throw new AppError('malformed', 'The only status a client may set on an account is "deactivated"');
    next.status = 'deactivated';
  }
  if (payload.contact !== undefined) next.contact = checkContacts(payload.contact);
  if (payload.status !== undefined || payload.contact !== undefined) {
    if ((await deps.store.updateAccount(next)) !== 'updated') throw new AppError('conflict', 'The account changed concurrently; retry');
    next.version += 1;
    const action = payload.status !== undefined ? 'account.deactivated' : 'account.updated';
    await deps.audit.record(undefined, { actor: `account:${id}`, action, object: `account:${id}`, outcome: 'success', details: { contacts: next.contact.length } });
  }
  return { status: 200, json: accountJson(next, req.linker) };
}

/** RFC 8555 §7.1.2.1: the orders list, paginated with Link rel="next". */
export async function accountOrders(deps: AcmeDeps, req: AcmeRequest, id: string): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  ownAccount(auth.account, id);
  const cursorText = req.url.searchParams.get('cursor');
  let cursor: { createdAt: number; id: string } | null = null;
  if (cursorText !== null) {
    const [at, orderId] = cursorText.split('.');
    if (at === undefined || orderId === undefined || !/^\d+$/.test(at)) throw new AppError('malformed', 'The "cursor" query parameter is not valid');
    cursor = { createdAt: Number(at), id: orderId };
  }
  const page = await deps.store.orderIdsForAccount(id, cursor, ORDERS_PAGE + 1);
  const shown = page.slice(0, ORDERS_PAGE);
  const last = shown[shown.length - 1];
  const headers: Record<string, string> = {};
  if (page.length > ORDERS_PAGE && last) headers.Link = `<${req.linker.accountOrders(id, `${last.createdAt}.${last.id}`)}>;rel="next"`;
  return { status: 200, headers, json: { orders: shown.map((o) => req.linker.order(o.id)) } };
}
