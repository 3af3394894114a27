import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { AcmeDeps, AcmeResponse } from '../acme/context.ts';
import { handleAcme } from '../acme/handler.ts';
import { Linker, matchRoute, type Route } from '../acme/linker.ts';
import { AppError } from '../errors.ts';
import { CommitOutcomeUnknownError } from '../store/db.ts';
import { readBody } from './body.ts';
import { acceptedHost, type HostPolicy } from '../config/hosts.ts';
import { toProblem } from './problem.ts';

/** Routes served outside ACME: health, admin API, CA certificates and CRLs. */
export interface SideRoutes {
  /** Returns a response for the path, or undefined when it is not one of these routes. */
  handle(req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AcmeResponse | undefined>;
}

export interface HttpDeps {
  acme: AcmeDeps;
  side: SideRoutes;
  externalUrl: string | undefined;
  /** The configured base URL (externalUrl, else from the listen address): used whenever the Host header is not. */
  publicUrl: string;
  /** Host header values the listener answers; only these are ever reflected into URLs. */
  hosts: HostPolicy;
  tls: { key: string; cert: string } | undefined;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  log: Logger;
  /** The client's address (src/http/client-address.ts), for per-address limits. */
  clientAddress: (req: IncomingMessage) => string;
  /** Told the route and status of every ACME response (the node's metrics). */
  requests?: RequestReport;
  /** False on the admin API's own listener (src/http/admin-listener.ts): ACME paths are 404 there. */
  serveAcme?: boolean;
  /** Client certificates the TLS handshake asks for, verified against `ca` (PEM): `require` refuses a connection without one. */
  clientAuth?: { mode: 'optional' | 'require'; ca: string };
}

/** Where the listener reports answered ACME requests: the route's resource kind ('unknown' when none matched). */
interface RequestReport {
  acmeRequest(route: string, status: number): void;
}

const JOSE = 'application/jose+json';

/** Load balancers, orchestrators and Prometheus probe these with whatever Host they like; they build no URLs. */
const HEALTH_PATHS = new Set(['/livez', '/readyz', '/healthz', '/metrics']);
/** An upstream CA validating http-01 sends the Host of the name being validated; the answer builds no URLs either. */
const HTTP01_PREFIX = '/.well-known/acme-challenge/';

/**
 * The base URL of the response's links, and the 421 problem when the Host header names a host
 * this listener does not serve. A foreign Host is never reflected: the base is then the
 * configured one. With externalUrl set, the Host header only has to be acceptable.
 */
function baseUrl(req: IncomingMessage, deps: HttpDeps): { base: string; misdirected?: AppError } {
  try {
    const host = acceptedHost(deps.hosts, req.headers.host);
    const fromHost = host !== undefined && deps.externalUrl === undefined;
    return { base: fromHost ? `${deps.tls === undefined ? 'http' : 'https'}://${host}` : deps.publicUrl };
  } catch (err) {
    return { base: deps.publicUrl, misdirected: err as AppError };
  }
}

/** The request URL on `base`: only the target's path and query count, never an authority (absolute-form or `//host` targets). */
function requestUrl(target: string | undefined, base: string): URL {
  const url = new URL(base);
  try {
    const parsed = new URL(target ?? '/', 'http://target.invalid');
    url.pathname = parsed.pathname;
    url.search = parsed.search;
  } catch {
    // An unparseable target is answered at "/" (a 404 problem).
  }
  return url;
}

function send(res: ServerResponse, out: AcmeResponse, extra: Record<string, string | string[]>): void {
  const headers: Record<string, string | string[]> = { ...extra, ...(out.headers ?? {}) };
  const links = [extra.Link, out.headers?.Link].flat().filter((l): l is string => typeof l === 'string');
  if (links.length > 0) headers.Link = links;
  let body: Buffer | string = '';
  if (out.json !== undefined) {
    headers['Content-Type'] = out.status >= 400 ? 'application/problem+json' : 'application/json';
    body = JSON.stringify(out.json);
  } else if (out.raw !== undefined) {
    headers['Content-Type'] = out.raw.contentType;
    body = out.raw.body;
  }
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(out.status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function errorResponse(err: unknown, log: Logger): AcmeResponse {
  const { problem, error, internal } = toProblem(err);
  if (internal) log.error({ err }, 'internal error');
  else if (error.cause !== undefined && error.code === 'serverInternal') log.error({ err: error.cause }, 'internal error');
  else if (error.cause instanceof CommitOutcomeUnknownError) log.warn({ err: error.cause, xid: error.cause.xid }, 'commit outcome unknown: the request may have taken effect');
  else if (error.code === 'unavailable' && error.cause !== undefined) log.debug({ err: error.cause }, 'database unavailable');
  const headers: Record<string, string> = { ...error.headers };
  if (error.retryAfter !== undefined) headers['Retry-After'] = String(error.retryAfter);
  return { status: problem.status, headers, json: problem };
}

async function dispatch(req: IncomingMessage, url: URL, deps: HttpDeps, route: Route | undefined): Promise<AcmeResponse> {
  const side = await deps.side.handle(req, url, () => readBody(req, deps.maxBodyBytes));
  if (side) return side;
  if (!route) {
    throw new AppError('notFound', `Nothing at ${url.pathname.slice(0, 200)}; the ACME directory is at /directory`);
  }
  let body: Buffer = Buffer.alloc(0);
  if (req.method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== JOSE) throw new AppError('unsupportedMediaType', `ACME POST requests must have Content-Type ${JOSE} (got "${type ?? ''}")`);
    body = await readBody(req, deps.maxBodyBytes);
  }
  return handleAcme(deps.acme, { method: req.method ?? 'GET', url, linker: new Linker(url.origin), headers: req.headers, body, clientAddress: deps.clientAddress(req) }, route);
}

/** Builds the HTTP(S) server. ACME responses carry Replay-Nonce and the index Link; every error is a problem document. */
export function createServer(deps: HttpDeps): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    // randomUUID draws its entropy for many ids at once; randomBytes costs a getrandom system call
    // per request (12–26 µs on the benchmark machine, docs/benchmarks.md).
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) ?? randomUUID();
    const log = deps.log.child({ req: requestId });
    const { base, misdirected } = baseUrl(req, deps);
    const url = requestUrl(req.url, base);
    const isAcme = deps.serveAcme !== false && (url.pathname === '/directory' || url.pathname.startsWith('/acme/'));
    const route = deps.serveAcme === false ? undefined : matchRoute(url.pathname);
    void (async () => {
      let out: AcmeResponse;
      try {
        if (misdirected !== undefined && !HEALTH_PATHS.has(url.pathname) && !url.pathname.startsWith(HTTP01_PREFIX)) throw misdirected;
        out = await dispatch(req, url, deps, route);
      } catch (err) {
        out = errorResponse(err, log);
      }
      const extra: Record<string, string | string[]> = { 'X-Request-Id': requestId };
      if (isAcme) {
        extra['Replay-Nonce'] = deps.acme.nonces.issue();
        extra['Cache-Control'] = 'no-store';
        extra.Link = `<${new Linker(url.origin).directory()}>;rel="index"`;
      }
      send(res, out, extra);
      if (isAcme) deps.requests?.acmeRequest(route?.kind ?? 'unknown', out.status);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.debug({ method: req.method, path: url.pathname, status: out.status, ms: Math.round(ms * 10) / 10 }, 'request');
    })().catch((err: unknown) => {
      log.error({ err }, 'failed to send a response');
      res.destroy();
    });
  };
  const clientAuth = deps.clientAuth === undefined ? {} : { requestCert: true, rejectUnauthorized: deps.clientAuth.mode === 'require', ca: deps.clientAuth.ca };
  const server = deps.tls === undefined ? createHttpServer(handler) : createHttpsServer({ key: deps.tls.key, cert: deps.tls.cert, ...clientAuth }, handler);
  server.requestTimeout = deps.requestTimeoutMs;
  server.headersTimeout = Math.min(deps.requestTimeoutMs, 20_000);
  server.keepAliveTimeout = 30_000;
  return server;
}
