import { callerAllows, type Caller } from '../../admin/roles.ts';
import { AppError } from '../../errors.ts';
import { adminRoutes, dispatchAdmin, type AdminDeps } from '../admin-routes.ts';

/**
 * The console reads and acts only through the admin API's route table, as the signed-in caller:
 * the same handlers, the same permission each route declares, so a page can never show or do
 * what the caller's role could not ask the API for.
 */
export interface ConsoleAdmin {
  /** GET `path` (with its query) as `caller`; the route's JSON. */
  get<T>(caller: Caller, path: string): Promise<T>;
  /** A change (POST, PUT, DELETE) as `caller` with a JSON body; the route's JSON. */
  send<T>(caller: Caller, method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** Whether the route at `method path` exists and `caller`'s role has the permission it declares. */
  allows(caller: Caller, method: string, path: string): boolean;
}

/** Only path and query are taken from it; the console never builds a URL from a request's Host. */
const BASE = 'http://console.invalid';

export function consoleAdmin(deps: AdminDeps): ConsoleAdmin {
  const call = async <T>(caller: Caller, method: string, path: string, body: unknown): Promise<T> => {
    const bytes = Buffer.from(body === undefined ? '' : JSON.stringify(body));
    const out = await dispatchAdmin(deps, caller, method, new URL(path, BASE), () => Promise.resolve(bytes));
    const text = Buffer.isBuffer(out.raw.body) ? out.raw.body.toString('utf8') : out.raw.body;
    if (!out.raw.contentType.startsWith('application/json')) return text as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new AppError('serverInternal', 'An admin route answered the console with invalid JSON', { cause: err });
    }
  };
  return {
    get: (caller, path) => call(caller, 'GET', path, undefined),
    send: (caller, method, path, body) => call(caller, method, path, body),
    allows(caller, method, path) {
      const pathname = new URL(path, BASE).pathname;
      const route = adminRoutes(deps).find((r) => r.method === method && r.path.test(pathname));
      return route !== undefined && callerAllows(caller, route.permission);
    },
  };
}
