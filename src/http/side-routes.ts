import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AcmeResponse } from '../acme/context.ts';
import { PATHS } from '../acme/linker.ts';
import { parseCrlPath } from '../ca/crl-shards.ts';
import type { Authority } from '../ca/authority.ts';
import { AppError } from '../errors.ts';
import { handleAdmin, type AdminDeps } from './admin-routes.ts';
import { healthSummary, readiness, type HealthDeps } from './health.ts';
import type { ConsoleRoutes } from './console/routes.ts';
import type { SideRoutes } from './server.ts';

export interface SideDeps {
  health: HealthDeps;
  admin: AdminDeps;
  authority: () => Authority | undefined;
  /** Unauthenticated GET routes of other domains (an SSH KRL, an http-01 token), after the CA's own. */
  publicRoutes?: readonly PublicRoute[];
  /** The web console under /console/ (src/http/console), signed in by session cookie. */
  console?: ConsoleRoutes;
  /** False on the ACME listener when the admin API has its own (admin.listen): /admin and /metrics are then 404 here. */
  adminHere?: boolean;
}

/** A public, read-only endpoint: answered to GET and HEAD without a token. */
export interface PublicRoute {
  path: RegExp;
  /** GET (and HEAD) by default; POST for an endpoint whose body authenticates itself (an SSH host's proof of possession). */
  method?: 'GET' | 'POST';
  /** `params` are the path's capture groups; undefined means "not mine", and the next route is asked. `headers` serve conditional GETs. */
  handle: (params: string[], url: URL, headers: IncomingHttpHeaders, body: () => Promise<Buffer>) => Promise<AcmeResponse | undefined>;
}

function onlyGet(req: IncomingMessage): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new AppError('methodNotAllowed', `${req.method} is not allowed here; use GET`, { headers: { Allow: 'GET, HEAD' } });
}

/** Health endpoints, CA certificates, CRLs and the admin API. */
export function sideRoutes(deps: SideDeps): SideRoutes {
  return {
    async handle(req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AcmeResponse | undefined> {
      const path = url.pathname;
      if (path === '/livez') {
        onlyGet(req);
        return { status: 200, raw: { contentType: 'text/plain', body: 'ok\n' } };
      }
      if (path === '/readyz') {
        onlyGet(req);
        const r = await readiness(deps.health);
        // Draining answers 404, not 503: HAProxy (`http-check disable-on-404`) then stops sending new
        // requests without cutting the ones in flight; any other checker sees "not ready" either way.
        const status = r.ready ? 200 : r.checks.draining === 'draining' ? 404 : 503;
        return { status, headers: { 'Cache-Control': 'no-store' }, raw: { contentType: 'application/json', body: JSON.stringify(r) } };
      }
      if (path === '/healthz') {
        onlyGet(req);
        return { status: 200, headers: { 'Cache-Control': 'no-store' }, raw: { contentType: 'application/json', body: JSON.stringify(await healthSummary(deps.health)) } };
      }
      // /metrics is where Prometheus looks; it is an admin route (permission metrics.read).
      if (path === '/admin' || path.startsWith('/admin/') || path === '/metrics') {
        if (deps.adminHere === false) throw new AppError('notFound', `Nothing at ${path.slice(0, 120)} on this listener`);
        return handleAdmin(deps.admin, req, url, body);
      }
      // The console goes where the admin API goes: on the admin listener when there is one.
      if (deps.console !== undefined && deps.adminHere !== false && (path === '/console' || path.startsWith('/console/'))) return deps.console.handle(req, url, body);
      return (await caRoutes(deps, req, path)) ?? publicRoute(deps.publicRoutes ?? [], req, url, body);
    },
  };
}

async function caRoutes(deps: SideDeps, req: IncomingMessage, path: string): Promise<AcmeResponse | undefined> {
  const crlId = parseCrlPath(path);
  if (path !== PATHS.rootPem && path !== PATHS.intermediatePem && crlId === undefined) return undefined;
  onlyGet(req);
  const authority = deps.authority();
  if (!authority) throw new AppError('unavailable', 'The CA is not loaded yet');
  if (path === PATHS.rootPem) return { status: 200, raw: { contentType: 'application/x-pem-file', body: authority.rootPem } };
  if (path === PATHS.intermediatePem) return { status: 200, raw: { contentType: 'application/x-pem-file', body: authority.chainPem } };
  const crl = crlId && await authority.currentCrl(crlId.issuerId, crlId.shard);
  if (!crl) throw new AppError('notFound', `No CRL ${path}`);
  return { status: 200, headers: { 'Cache-Control': 'max-age=60' }, raw: { contentType: 'application/pkix-crl', body: crl } };
}

async function publicRoute(routes: readonly PublicRoute[], req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AcmeResponse | undefined> {
  for (const route of routes) {
    const m = route.path.exec(url.pathname);
    if (!m) continue;
    if (route.method !== 'POST') onlyGet(req);
    else if (req.method !== 'POST') throw new AppError('methodNotAllowed', `${req.method} is not allowed here; use POST`, { headers: { Allow: 'POST' } });
    const out = await route.handle(m.slice(1), url, req.headers, body);
    if (out) return out;
  }
  return undefined;
}
