import type { IncomingMessage } from 'node:http';
import type { AdminTokens } from '../admin/tokens.ts';
import type { AdminService } from '../admin/service.ts';
import type { EabKeyService } from '../admin/eab.ts';
import type { Authority } from '../ca/authority.ts';
import { AppError } from '../errors.ts';

export interface AdminDeps {
  tokens: AdminTokens;
  service: AdminService;
  eab: EabKeyService;
  authority: () => Authority | undefined;
  caInfo: () => unknown;
}

/** An admin API answer: JSON, sent by the HTTP edge like every response it builds (errors are thrown AppErrors). */
export interface AdminResponse {
  status: number;
  raw: { contentType: 'application/json'; body: string };
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

async function authenticate(deps: AdminDeps, req: IncomingMessage): Promise<void> {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="certainty-admin"' }, status: 401 };
  if (!m) throw new AppError('unauthorized', 'The admin API needs "Authorization: Bearer <token>"; create a token with "certainty token create"', challenge);
  if ((await deps.tokens.verify(m[1] as string)) === undefined) throw new AppError('unauthorized', 'The admin token is invalid or revoked', challenge);
}

type Handler = (deps: AdminDeps, params: string[], url: URL, body: () => Promise<Buffer>) => Promise<AdminResponse>;

const ROUTES: Array<[string, RegExp, Handler]> = [
  ['GET', /^\/admin\/status$/, async (d) => ok({ counts: await d.service.counts(), ca: d.caInfo() })],
  ['GET', /^\/admin\/ca$/, async (d) => ok(d.caInfo())],
  ['GET', /^\/admin\/accounts$/, async (d, _p, url) => ok(await d.service.listAccounts(limitOf(url)))],
  ['GET', /^\/admin\/accounts\/([\w-]+)$/, async (d, p) => ok(await d.service.showAccount(p[0] as string))],
  ['POST', /^\/admin\/accounts\/([\w-]+)\/deactivate$/, async (d, p) => {
    await d.service.deactivateAccount(p[0] as string);
    return ok(await d.service.showAccount(p[0] as string));
  }],
  ['GET', /^\/admin\/certificates$/, async (d, _p, url) => {
    const revoked = url.searchParams.get('revoked');
    return ok(await d.service.listCertificates({
      limit: limitOf(url), ...(url.searchParams.has('name') ? { name: url.searchParams.get('name') as string } : {}),
      ...(revoked === null ? {} : { revoked: revoked === 'true' }),
    }));
  }],
  ['GET', /^\/admin\/certificates\/([0-9a-fA-F:]+)$/, async (d, p) => ok(await d.service.showCertificate(p[0] as string))],
  ['POST', /^\/admin\/certificates\/([0-9a-fA-F:]+)\/revoke$/, async (d, p, _u, body) => {
    const reason = (await jsonBody(body)).reason ?? 0;
    if (typeof reason !== 'number') throw new AppError('malformed', '"reason" must be a CRLReason number');
    const authority = d.authority();
    if (!authority) throw new AppError('unavailable', 'The CA is not loaded yet');
    await d.service.revokeCertificate(authority, p[0] as string, reason);
    return ok(await d.service.showCertificate(p[0] as string));
  }],
  ['GET', /^\/admin\/eab$/, async (d) => ok(await d.eab.list())],
  ['POST', /^\/admin\/eab$/, async (d, _p, _u, body) => {
    const label = (await jsonBody(body)).label ?? '';
    if (typeof label !== 'string' || label.length > 200) throw new AppError('malformed', '"label" must be a string of at most 200 characters');
    return ok(await d.eab.create(label), 201);
  }],
  ['POST', /^\/admin\/eab\/([\w-]+)\/revoke$/, async (d, p) => {
    if (!(await d.eab.revoke(p[0] as string))) throw new AppError('notFound', `No unrevoked EAB key ${p[0] as string}`);
    return ok({ kid: p[0], revoked: true });
  }],
];

function limitOf(url: URL): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new AppError('malformed', '"limit" must be a whole number from 1 to 10000');
  return n;
}

/** The admin API: bearer token first, then JSON in and out. */
export async function handleAdmin(deps: AdminDeps, req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AdminResponse> {
  await authenticate(deps, req);
  const matches = ROUTES.filter(([, re]) => re.test(url.pathname));
  if (matches.length === 0) throw new AppError('notFound', `No admin endpoint at ${url.pathname.slice(0, 120)}; see docs/admin-api.md`);
  const route = matches.find(([method]) => method === req.method);
  if (!route) throw new AppError('methodNotAllowed', `${req.method} is not allowed here`, { headers: { Allow: matches.map(([m]) => m).join(', ') } });
  const params = (route[1].exec(url.pathname) ?? []).slice(1);
  return route[2](deps, params, url, body);
}
