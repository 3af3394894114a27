import type { IncomingMessage } from 'node:http';
import type { AdminTokens } from '../admin/tokens.ts';
import type { AdminService } from '../admin/service.ts';
import type { EabKeyService } from '../admin/eab.ts';
import type { Authority } from '../ca/authority.ts';
import { roleAllows, TOKEN_ROLES, type Caller, type Permission } from '../admin/roles.ts';
import { AppError } from '../errors.ts';

export interface AdminDeps {
  tokens: AdminTokens;
  service: AdminService;
  eab: EabKeyService;
  authority: () => Authority | undefined;
  caInfo: () => unknown;
  /** The route tables of other domains (SSH, secrets, lifecycle…), served after the CA's own. */
  routes?: readonly AdminRoute[];
}

/** An admin API answer (errors are thrown AppErrors): JSON, or text such as a public key. */
export interface AdminResponse {
  status: number;
  headers?: Record<string, string>;
  raw: { contentType: string; body: Buffer | string };
}

/** An authenticated admin request as a route handler sees it. */
export interface AdminRequest {
  caller: Caller;
  /** The path's capture groups. */
  params: string[];
  url: URL;
  /** The body, read within the listener's size limit. */
  body: () => Promise<Buffer>;
  /** The body as a JSON object (an empty body is `{}`); anything else is a `malformed` problem. */
  json: () => Promise<Record<string, unknown>>;
}

/** One admin endpoint and the permission it needs (src/admin/roles.ts says which roles have it). */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: RegExp;
  permission: Permission;
  handle: (req: AdminRequest) => Promise<AdminResponse>;
}

/** The route builder of every route table: `const read = needs('acme.read')`, then `read('GET', /…/, handler)`. */
export function needs(permission: Permission): (method: AdminRoute['method'], path: RegExp, handle: AdminRoute['handle']) => AdminRoute {
  return (method, path, handle) => ({ method, path, permission, handle });
}

export const ok = (json: unknown, status = 200): AdminResponse => ({ status, raw: { contentType: 'application/json', body: JSON.stringify(json) } });

async function jsonBody(body: () => Promise<Buffer>): Promise<Record<string, unknown>> {
  const raw = await body();
  if (raw.length === 0) return {};
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new AppError('malformed', 'The request body must be a JSON object');
}

async function authenticate(deps: AdminDeps, req: IncomingMessage): Promise<Caller> {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="certainty-admin"' }, status: 401 };
  if (!m) throw new AppError('unauthorized', 'The admin API needs "Authorization: Bearer <token>"; create a token with "certainty token create"', challenge);
  const caller = await deps.tokens.verify(m[1] as string);
  if (caller === undefined) throw new AppError('unauthorized', 'The admin token is invalid, expired or revoked', challenge);
  return caller;
}

function caRoutes(d: AdminDeps): AdminRoute[] {
  const status = needs('status.read');
  const read = needs('acme.read');
  const manage = needs('acme.manage');
  const eab = needs('eab.manage');
  return [
    status('GET', /^\/admin\/status$/, async () => ok({ counts: await d.service.counts(), ca: d.caInfo() })),
    status('GET', /^\/admin\/ca$/, async () => ok(d.caInfo())),
    read('GET', /^\/admin\/accounts$/, async ({ url }) => ok(await d.service.listAccounts(limitOf(url)))),
    read('GET', /^\/admin\/accounts\/([\w-]+)$/, async ({ params }) => ok(await d.service.showAccount(params[0] as string))),
    manage('POST', /^\/admin\/accounts\/([\w-]+)\/deactivate$/, async ({ params }) => {
      await d.service.deactivateAccount(params[0] as string);
      return ok(await d.service.showAccount(params[0] as string));
    }),
    read('GET', /^\/admin\/certificates$/, async ({ url }) => {
      const revoked = url.searchParams.get('revoked');
      return ok(await d.service.listCertificates({
        limit: limitOf(url), ...(url.searchParams.has('name') ? { name: url.searchParams.get('name') as string } : {}),
        ...(revoked === null ? {} : { revoked: revoked === 'true' }),
      }));
    }),
    read('GET', /^\/admin\/certificates\/([0-9a-fA-F:]+)$/, async ({ params }) => ok(await d.service.showCertificate(params[0] as string))),
    manage('POST', /^\/admin\/certificates\/([0-9a-fA-F:]+)\/revoke$/, async ({ params, json }) => {
      const reason = (await json()).reason ?? 0;
      if (typeof reason !== 'number') throw new AppError('malformed', '"reason" must be a CRLReason number');
      const authority = d.authority();
      if (!authority) throw new AppError('unavailable', 'The CA is not loaded yet');
      await d.service.revokeCertificate(authority, params[0] as string, reason);
      return ok(await d.service.showCertificate(params[0] as string));
    }),
    eab('GET', /^\/admin\/eab$/, async () => ok(await d.eab.list())),
    eab('POST', /^\/admin\/eab$/, async ({ json }) => {
      const label = (await json()).label ?? '';
      if (typeof label !== 'string' || label.length > 200) throw new AppError('malformed', '"label" must be a string of at most 200 characters');
      return ok(await d.eab.create(label), 201);
    }),
    eab('POST', /^\/admin\/eab\/([\w-]+)\/revoke$/, async ({ params }) => {
      if (!(await d.eab.revoke(params[0] as string))) throw new AppError('notFound', `No unrevoked EAB key ${params[0] as string}`);
      return ok({ kid: params[0], revoked: true });
    }),
  ];
}

function limitOf(url: URL): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new AppError('malformed', '"limit" must be a whole number from 1 to 10000');
  return n;
}

/** Every admin route: the CA's own, then the other domains' tables. */
export function adminRoutes(deps: AdminDeps): AdminRoute[] {
  return [...caRoutes(deps), ...(deps.routes ?? [])];
}

/** The admin API: bearer token first, then the route, then what the token's role allows. */
export async function handleAdmin(deps: AdminDeps, req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AdminResponse> {
  const caller = await authenticate(deps, req);
  const routes = adminRoutes(deps);
  const matches = routes.filter((r) => r.path.test(url.pathname));
  if (matches.length === 0) throw new AppError('notFound', `No admin endpoint at ${url.pathname.slice(0, 120)}; see docs/admin-api.md`);
  const route = matches.find((r) => r.method === req.method);
  if (!route) throw new AppError('methodNotAllowed', `${req.method} is not allowed here`, { headers: { Allow: [...new Set(matches.map((r) => r.method))].join(', ') } });
  if (!roleAllows(caller.role, route.permission)) {
    const roles = TOKEN_ROLES.filter((r) => roleAllows(r, route.permission)).join(', ');
    throw new AppError('unauthorized', `This endpoint needs the "${route.permission}" permission, which token ${caller.tokenId}'s role "${caller.role}" does not have (roles that have it: ${roles})`);
  }
  const params = (route.path.exec(url.pathname) ?? []).slice(1);
  return route.handle({ caller, params, url, body, json: () => jsonBody(body) });
}
