import type { IncomingMessage } from 'node:http';
import type { AdminTokens } from '../admin/tokens.ts';
import type { AdminService } from '../admin/service.ts';
import type { EabKeyService } from '../admin/eab.ts';
import type { Authority } from '../ca/authority.ts';
import type { Caller } from '../admin/roles.ts';
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
interface AdminRequest {
  caller: Caller;
  /** The path's capture groups. */
  params: string[];
  url: URL;
  /** The body, read within the listener's size limit. */
  body: () => Promise<Buffer>;
  /** The body as a JSON object (an empty body is `{}`); anything else is a `malformed` problem. */
  json: () => Promise<Record<string, unknown>>;
}

/**
 * One admin endpoint. `access: 'admin'` needs an admin token; `access: 'token'` takes any valid
 * token and leaves the decision to the handler, which asks its domain what that token was granted
 * (an SSH role's tokens, a secrets policy).
 */
interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: RegExp;
  access: 'admin' | 'token';
  handle: (req: AdminRequest) => Promise<AdminResponse>;
}

const ok = (json: unknown, status = 200): AdminResponse => ({ status, raw: { contentType: 'application/json', body: JSON.stringify(json) } });

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
  const admin = (method: AdminRoute['method'], path: RegExp, handle: AdminRoute['handle']): AdminRoute => ({ method, path, access: 'admin', handle });
  return [
    admin('GET', /^\/admin\/status$/, async () => ok({ counts: await d.service.counts(), ca: d.caInfo() })),
    admin('GET', /^\/admin\/ca$/, async () => ok(d.caInfo())),
    admin('GET', /^\/admin\/accounts$/, async ({ url }) => ok(await d.service.listAccounts(limitOf(url)))),
    admin('GET', /^\/admin\/accounts\/([\w-]+)$/, async ({ params }) => ok(await d.service.showAccount(params[0] as string))),
    admin('POST', /^\/admin\/accounts\/([\w-]+)\/deactivate$/, async ({ params }) => {
      await d.service.deactivateAccount(params[0] as string);
      return ok(await d.service.showAccount(params[0] as string));
    }),
    admin('GET', /^\/admin\/certificates$/, async ({ url }) => {
      const revoked = url.searchParams.get('revoked');
      return ok(await d.service.listCertificates({
        limit: limitOf(url), ...(url.searchParams.has('name') ? { name: url.searchParams.get('name') as string } : {}),
        ...(revoked === null ? {} : { revoked: revoked === 'true' }),
      }));
    }),
    admin('GET', /^\/admin\/certificates\/([0-9a-fA-F:]+)$/, async ({ params }) => ok(await d.service.showCertificate(params[0] as string))),
    admin('POST', /^\/admin\/certificates\/([0-9a-fA-F:]+)\/revoke$/, async ({ params, json }) => {
      const reason = (await json()).reason ?? 0;
      if (typeof reason !== 'number') throw new AppError('malformed', '"reason" must be a CRLReason number');
      const authority = d.authority();
      if (!authority) throw new AppError('unavailable', 'The CA is not loaded yet');
      await d.service.revokeCertificate(authority, params[0] as string, reason);
      return ok(await d.service.showCertificate(params[0] as string));
    }),
    admin('GET', /^\/admin\/eab$/, async () => ok(await d.eab.list())),
    admin('POST', /^\/admin\/eab$/, async ({ json }) => {
      const label = (await json()).label ?? '';
      if (typeof label !== 'string' || label.length > 200) throw new AppError('malformed', '"label" must be a string of at most 200 characters');
      return ok(await d.eab.create(label), 201);
    }),
    admin('POST', /^\/admin\/eab\/([\w-]+)\/revoke$/, async ({ params }) => {
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

/** The admin API: bearer token first, then the route, then what the token's role allows. */
export async function handleAdmin(deps: AdminDeps, req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AdminResponse> {
  const caller = await authenticate(deps, req);
  const routes = [...caRoutes(deps), ...(deps.routes ?? [])];
  const matches = routes.filter((r) => r.path.test(url.pathname));
  if (matches.length === 0) throw new AppError('notFound', `No admin endpoint at ${url.pathname.slice(0, 120)}; see docs/admin-api.md`);
  const route = matches.find((r) => r.method === req.method);
  if (!route) throw new AppError('methodNotAllowed', `${req.method} is not allowed here`, { headers: { Allow: [...new Set(matches.map((r) => r.method))].join(', ') } });
  if (route.access === 'admin' && caller.role !== 'admin') {
    throw new AppError('unauthorized', `This endpoint needs an admin token; token ${caller.tokenId} has the role "${caller.role}"`);
  }
  const params = (route.path.exec(url.pathname) ?? []).slice(1);
  return route.handle({ caller, params, url, body, json: () => jsonBody(body) });
}
