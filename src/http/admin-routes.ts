import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { AdminTokens } from '../admin/tokens.ts';
import type { AdminService } from '../admin/service.ts';
import type { EabKeyService } from '../admin/eab.ts';
import type { Authority } from '../ca/authority.ts';
import { callerAllows, roleAllows, TOKEN_ROLES, withinPrefix, type Caller, type Permission } from '../admin/roles.ts';
import type { RequestActor } from '../audit/runtime.ts';
import { AppError } from '../errors.ts';
import { z, type ZodObject, type ZodType } from 'zod';
import * as S from './admin-schemas.ts';
import { openApiDocument } from './openapi.ts';

export interface AdminDeps {
  tokens: AdminTokens;
  service: AdminService;
  eab: EabKeyService;
  authority: () => Authority | undefined;
  caInfo: () => unknown;
  /** The route tables of other domains (SSH, secrets, lifecycle…), served after the CA's own. */
  routes?: readonly AdminRoute[];
  /** Runs a request's handler with its audit records naming the token (src/audit/runtime.ts `runAs`). */
  runAs?: <T>(who: RequestActor, fn: () => Promise<T>) => Promise<T>;
  /** Where each use of a break-glass token is logged as a warning. */
  log?: Pick<Logger, 'warn'>;
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
  /** One line for the OpenAPI operation (src/http/openapi.ts). */
  summary?: string;
  /** The path with a `{name}` per capture group, e.g. `/admin/certificates/{serial}`; derived when the path has none. */
  template?: string;
  /** The JSON body it takes. */
  request?: ZodType;
  /** Its query parameters (each optional unless the schema says otherwise). */
  query?: ZodObject;
  /** The JSON body of its success answer. */
  response?: ZodType;
  /** The success status when it is not 200. */
  status?: number;
  /** A success answer that is not JSON (e.g. text), or may be text as well (`?format=env`). */
  text?: string;
}

/** What a route says about itself for the OpenAPI document. */
export type RouteDoc = Pick<AdminRoute, 'summary' | 'template' | 'request' | 'query' | 'response' | 'status' | 'text'>;

/** The route builder of every route table: `const read = needs('acme.read')`, then `read('GET', /…/, handler, { summary, response })`. */
export function needs(permission: Permission): (method: AdminRoute['method'], path: RegExp, handle: AdminRoute['handle'], doc?: RouteDoc) => AdminRoute {
  return (method, path, handle, doc) => ({ method, path, permission, handle, ...doc });
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
    status('GET', /^\/admin\/status$/, async () => ok({ counts: await d.service.counts(), ca: d.caInfo() }), { summary: 'Inventory counts and the CA', response: S.statusSchema }),
    status('GET', /^\/admin\/openapi\.json$/, async () => ok(openApiDocument(adminRoutes(d))), { summary: 'This OpenAPI 3.1 document', response: z.record(z.string(), z.unknown()) }),
    status('GET', /^\/admin\/ca$/, async () => ok(d.caInfo()), { summary: 'The issuing CA', response: S.caInfoSchema }),
    read('GET', /^\/admin\/accounts$/, async ({ url }) => ok(await d.service.listAccounts(limitOf(url))), { summary: 'ACME accounts, newest first', query: S.limitQuery, response: z.array(S.accountSchema) }),
    read('GET', /^\/admin\/accounts\/([\w-]+)$/, async ({ params }) => ok(await d.service.showAccount(params[0] as string)), { summary: 'One ACME account', template: '/admin/accounts/{id}', response: S.accountSchema }),
    manage('POST', /^\/admin\/accounts\/([\w-]+)\/deactivate$/, async ({ params }) => {
      await d.service.deactivateAccount(params[0] as string);
      return ok(await d.service.showAccount(params[0] as string));
    }, { summary: 'Deactivate an ACME account', template: '/admin/accounts/{id}/deactivate', response: S.accountSchema }),
    read('GET', /^\/admin\/certificates$/, async ({ url }) => {
      const revoked = url.searchParams.get('revoked');
      return ok(await d.service.listCertificates({
        limit: limitOf(url), ...(url.searchParams.has('name') ? { name: url.searchParams.get('name') as string } : {}),
        ...(revoked === null ? {} : { revoked: revoked === 'true' }),
      }));
    }, { summary: 'Certificates, newest first', query: S.certificatesQuery, response: z.array(S.certificateSchema) }),
    read('GET', /^\/admin\/certificates\/([0-9a-fA-F:]+)$/, async ({ params }) => ok(await d.service.showCertificate(params[0] as string)), { summary: 'One certificate with its PEM', template: '/admin/certificates/{serial}', response: S.certificateDetailSchema }),
    manage('POST', /^\/admin\/certificates\/([0-9a-fA-F:]+)\/revoke$/, async ({ params, json }) => {
      const reason = (await json()).reason ?? 0;
      if (typeof reason !== 'number') throw new AppError('malformed', '"reason" must be a CRLReason number');
      const authority = d.authority();
      if (!authority) throw new AppError('unavailable', 'The CA is not loaded yet');
      await d.service.revokeCertificate(authority, params[0] as string, reason);
      return ok(await d.service.showCertificate(params[0] as string));
    }, { summary: 'Revoke a certificate', template: '/admin/certificates/{serial}/revoke', request: S.revokeRequest, response: S.certificateDetailSchema }),
    eab('GET', /^\/admin\/eab$/, async () => ok(await d.eab.list()), { summary: 'EAB keys (never their HMAC keys)', response: z.array(S.eabKeySchema) }),
    eab('POST', /^\/admin\/eab$/, async ({ json }) => {
      const label = (await json()).label ?? '';
      if (typeof label !== 'string' || label.length > 200) throw new AppError('malformed', '"label" must be a string of at most 200 characters');
      return ok(await d.eab.create(label), 201);
    }, { summary: 'Create an EAB key; its HMAC key is shown this once', request: S.eabCreateRequest, status: 201, response: z.object({ kid: z.string(), hmacKey: z.string() }) }),
    eab('POST', /^\/admin\/eab\/([\w-]+)\/revoke$/, async ({ params }) => {
      if (!(await d.eab.revoke(params[0] as string))) throw new AppError('notFound', `No unrevoked EAB key ${params[0] as string}`);
      return ok({ kid: params[0], revoked: true });
    }, { summary: 'Revoke an EAB key', template: '/admin/eab/{kid}/revoke', response: z.object({ kid: z.string(), revoked: z.literal(true) }) }),
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

/** Refuses a path-scoped token outside its prefix (checked on the decoded path too, so an escaped "/" or ".." cannot step out). */
export function checkScope(caller: Caller, pathname: string): void {
  const prefix = caller.pathPrefix;
  if (prefix === undefined) return;
  let decoded = pathname;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // An undecodable path is judged as it was sent.
  }
  const inside = withinPrefix(prefix, pathname) && withinPrefix(prefix, decoded) && !decoded.split('/').includes('..');
  if (!inside) throw new AppError('unauthorized', `Token ${caller.tokenId} is limited to ${prefix} and the paths below it; ${pathname.slice(0, 120)} is outside that scope`);
}

/** Refuses a caller whose role lacks the route's permission, naming the permission and the built-in roles that have it. */
function authorize(caller: Caller, route: AdminRoute): void {
  if (callerAllows(caller, route.permission)) return;
  const roles = TOKEN_ROLES.filter((r) => roleAllows(r, route.permission)).join(', ');
  throw new AppError('unauthorized', `This endpoint needs the "${route.permission}" permission, which token ${caller.tokenId}'s role "${caller.role}" does not have (roles that have it: ${roles})`);
}

/** What every record a request makes carries: the token, by id and name, and whether it is a break-glass one. */
function requestActor(caller: Caller): RequestActor {
  return { actor: `token:${caller.tokenId}`, details: { ...(caller.tokenName === undefined ? {} : { tokenName: caller.tokenName }), ...(caller.breakGlass === true ? { breakGlass: true } : {}) } };
}

/**
 * One admin request by an authenticated caller (the admin API's bearer token, or a web console
 * session): its path scope, the route, what its role allows, then the handler, whose audit
 * records name the caller's token.
 */
export async function dispatchAdmin(deps: AdminDeps, caller: Caller, method: string, url: URL, body: () => Promise<Buffer>): Promise<AdminResponse> {
  checkScope(caller, url.pathname);
  const matches = adminRoutes(deps).filter((r) => r.path.test(url.pathname));
  if (matches.length === 0) throw new AppError('notFound', `No admin endpoint at ${url.pathname.slice(0, 120)}; see docs/admin-api.md`);
  const route = matches.find((r) => r.method === method);
  if (!route) throw new AppError('methodNotAllowed', `${method} is not allowed here`, { headers: { Allow: [...new Set(matches.map((r) => r.method))].join(', ') } });
  authorize(caller, route);
  if (caller.breakGlass === true) deps.log?.warn({ token: caller.tokenId, name: caller.tokenName, method, path: url.pathname.slice(0, 200) }, 'break-glass token used');
  const params = (route.path.exec(url.pathname) ?? []).slice(1);
  const run = (): Promise<AdminResponse> => route.handle({ caller, params, url, body, json: () => jsonBody(body) });
  return deps.runAs === undefined ? run() : deps.runAs(requestActor(caller), run);
}

/** The admin API: the bearer token, then `dispatchAdmin`. */
export async function handleAdmin(deps: AdminDeps, req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AdminResponse> {
  return dispatchAdmin(deps, await authenticate(deps, req), req.method ?? 'GET', url, body);
}
