import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { AcmeResponse } from '../../acme/context.ts';
import type { ConsoleOidc } from '../../admin/console-oidc.ts';
import { csrfMatches, type ConsoleSession, type ConsoleSessions } from '../../admin/console-sessions.ts';
import { AppError } from '../../errors.ts';
import { toProblem } from '../problem.ts';
import type { ConsoleAdmin } from './admin-call.ts';
import { certificatesPage, revokeAction } from './certificates.ts';
import { dashboardPage } from './dashboard.ts';
import { drillReport, drillsPage } from './drills.ts';
import { html, type Html } from './html.ts';
import { deactivateAction, eabCreateAction, eabRevokeAction, sshRevokeAction } from './inventory-actions.ts';
import { accountsPage, sshPage } from './inventory.ts';
import { page, publicPage, type PageContext } from './layout.ts';
import { managedDetailPage, managedPage, renewAction } from './managed.ts';
import { auditPage, clusterPage } from './operations.ts';
import { oidcCallback, oidcStart } from './oidc-routes.ts';
import { clearCookie, cookieOf, cssResponse, htmlResponse, redirect, SESSION_COOKIE, sessionCookie } from './responses.ts';
import { revealPage, secretsPage } from './secrets.ts';
import { CONSOLE_CSS } from './style.ts';

export interface ConsoleDeps {
  sessions: ConsoleSessions;
  admin: ConsoleAdmin;
  now: () => number;
  log: Logger;
  /** Single sign-on, when console.oidc is configured. */
  oidc?: ConsoleOidc;
}

/** The console's requests, answered by the listener's side routes under /console/. */
export interface ConsoleRoutes {
  handle(req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AcmeResponse>;
}

/** A POST must come from a page of this origin (besides the CSRF token): Origin, else Sec-Fetch-Site. */
function checkOrigin(req: IncomingMessage, url: URL): void {
  const origin = req.headers.origin;
  const sameSite = origin === undefined ? req.headers['sec-fetch-site'] === 'same-origin' : origin === url.origin;
  if (!sameSite) throw new AppError('unauthorized', 'This form was not sent from the console\'s own pages; reload the console and try again');
}

function loginForm(sso: boolean, error?: string): Html {
  const note = error === undefined ? '' : html`<p class="flash error" role="alert">${error}</p>`;
  const link = sso ? html`<p><a href="/console/oidc/start">Sign in with single sign-on</a></p><p class="muted">or with an admin token:</p>` : '';
  return publicPage('Sign in', html`${note}${link}<form class="stack" method="post" action="/console/login">
<label for="token">Admin token</label><input id="token" name="token" type="password" autocomplete="off" required>
<p class="muted">Create one with <code>certainty token create NAME --role viewer</code>; its role decides what you can see and do.</p>
<button type="submit">Sign in</button></form>`);
}

type Flash = { text: string; error?: boolean };
type GetPage = (ctx: PageContext, url: URL, m: RegExpExecArray, flash: Flash | undefined, now: number) => Promise<Html>;
type Action = { run: (ctx: PageContext, form: URLSearchParams) => Promise<string | Html>; back: string };

const PAGES: ReadonlyArray<[RegExp, GetPage]> = [
  [/^\/console\/$/, (ctx, _url, _m, _flash, now) => dashboardPage(ctx, now)],
  [/^\/console\/certificates$/, (ctx, url, _m, flash) => certificatesPage(ctx, url, flash)],
  [/^\/console\/accounts$/, (ctx, _url, _m, flash) => accountsPage(ctx, flash)],
  [/^\/console\/managed$/, (ctx, _url, _m, flash) => managedPage(ctx, flash)],
  [/^\/console\/managed\/([^/]+)$/, (ctx, _url, m) => managedDetailPage(ctx, decodeURIComponent(m[1] as string))],
  [/^\/console\/ssh$/, (ctx, _url, _m, flash, now) => sshPage(ctx, now, flash)],
  [/^\/console\/secrets$/, (ctx, url) => secretsPage(ctx, url)],
  [/^\/console\/audit$/, (ctx, url) => auditPage(ctx, url)],
  [/^\/console\/cluster$/, (ctx) => clusterPage(ctx)],
  [/^\/console\/drills$/, (ctx) => drillsPage(ctx)],
];

/** A drill report: its own HTML, served sandboxed rather than inside a console page. */
const DRILL_REPORT = /^\/console\/drills\/([^/]+)$/;

/** Each form's POST, and the page shown again with its outcome. */
const ACTIONS: Readonly<Record<string, Action>> = {
  '/console/certificates/revoke': { run: revokeAction, back: '/console/certificates' },
  '/console/managed/renew': { run: renewAction, back: '/console/managed' },
  '/console/secrets/reveal': { run: revealPage, back: '/console/secrets' },
  '/console/eab/create': { run: eabCreateAction, back: '/console/accounts' },
  '/console/eab/revoke': { run: eabRevokeAction, back: '/console/accounts' },
  '/console/accounts/deactivate': { run: deactivateAction, back: '/console/accounts' },
  '/console/ssh/revoke': { run: sshRevokeAction, back: '/console/ssh' },
};

async function render(deps: ConsoleDeps, ctx: PageContext, url: URL, flash?: Flash): Promise<Html> {
  for (const [path, get] of PAGES) {
    const m = path.exec(url.pathname);
    if (m) return get(ctx, url, m, flash, deps.now());
  }
  throw new AppError('notFound', `No console page at ${url.pathname.slice(0, 120)}`);
}

/** An error as a page: its detail for a refusal, a generic line (and the log) for anything internal. */
function failure(deps: ConsoleDeps, err: unknown, ctx: PageContext | undefined): AcmeResponse {
  const { error, internal } = toProblem(err);
  if (internal) deps.log.error({ err }, 'console: internal error');
  const text = internal ? 'Something went wrong on the server; the log has the details.' : error.detail;
  const body = ctx === undefined ? publicPage('Error', html`<p class="flash error" role="alert">${text}</p>`) : page(ctx, 'Error', html`<p><a href="/console/">Back to the dashboard</a></p>`, { text, error: true });
  return htmlResponse(error.status, body);
}

async function act(deps: ConsoleDeps, ctx: PageContext, url: URL, action: Action, form: URLSearchParams): Promise<AcmeResponse> {
  const back = new URL(action.back, url);
  try {
    const done = await action.run(ctx, form);
    return htmlResponse(200, typeof done === 'string' ? await render(deps, { ...ctx, path: action.back }, back, { text: done }) : done);
  } catch (err) {
    const { error, internal } = toProblem(err);
    if (internal) return failure(deps, err, ctx);
    // Refused or invalid: the page again, saying why, with the refusal's status (403 for a missing permission).
    return htmlResponse(error.status, await render(deps, { ...ctx, path: action.back }, back, { text: error.detail, error: true }));
  }
}

/** A signed-in request: a page, or a form checked for its Origin and CSRF token before anything else. */
async function signedIn(deps: ConsoleDeps, req: IncomingMessage, url: URL, body: () => Promise<Buffer>, session: ConsoleSession): Promise<AcmeResponse> {
  const ctx: PageContext = { session, admin: deps.admin, path: url.pathname };
  try {
    const report = DRILL_REPORT.exec(url.pathname);
    if (report && (req.method === 'GET' || req.method === 'HEAD')) return await drillReport(ctx, report[1] as string);
    if (req.method === 'GET' || req.method === 'HEAD') return htmlResponse(200, await render(deps, ctx, url));
    if (req.method !== 'POST') throw new AppError('methodNotAllowed', `${req.method} is not allowed here`, { headers: { Allow: 'GET, POST' } });
    checkOrigin(req, url);
    const form = new URLSearchParams((await body()).toString('utf8'));
    if (!csrfMatches(session, form.get('csrf') ?? undefined)) throw new AppError('unauthorized', 'This form has expired (its CSRF token does not match your session); reload the page and try again');
    if (url.pathname === '/console/logout') {
      await deps.sessions.signOut(cookieOf(req, SESSION_COOKIE));
      return redirect('/console/login', { 'Set-Cookie': clearCookie(SESSION_COOKIE) });
    }
    const action = ACTIONS[url.pathname];
    if (action === undefined) throw new AppError('notFound', `No console action at ${url.pathname.slice(0, 120)}`);
    return await act(deps, ctx, url, action, form);
  } catch (err) {
    return failure(deps, err, ctx);
  }
}

async function login(deps: ConsoleDeps, req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<AcmeResponse> {
  if (req.method !== 'POST') return htmlResponse(200, loginForm(deps.oidc !== undefined));
  checkOrigin(req, url);
  const token = new URLSearchParams((await body()).toString('utf8')).get('token') ?? '';
  const signed = await deps.sessions.signInWithToken(token);
  if ('refused' in signed) return htmlResponse(401, loginForm(deps.oidc !== undefined, signed.refused));
  return redirect('/console/', { 'Set-Cookie': sessionCookie(signed.id) });
}

/** The console: the stylesheet and sign-in are open; every other page needs a session (GETs without one go to sign-in). */
export function consoleRoutes(deps: ConsoleDeps): ConsoleRoutes {
  return {
    async handle(req, url, body) {
      try {
        if (url.pathname === '/console') return redirect('/console/');
        if (url.pathname === '/console/static/console.css') return cssResponse(CONSOLE_CSS);
        if (url.pathname === '/console/login') return await login(deps, req, url, body);
        if (url.pathname === '/console/oidc/start') return await oidcStart(deps.oidc);
        if (url.pathname === '/console/oidc/callback') return await oidcCallback(deps.oidc, deps.sessions, req, url);
        const session = await deps.sessions.resolve(cookieOf(req, SESSION_COOKIE));
        if (session !== undefined) return await signedIn(deps, req, url, body, session);
        return req.method === 'GET' || req.method === 'HEAD' ? redirect('/console/login') : failure(deps, new AppError('unauthorized', 'Your console session has ended; sign in again'), undefined);
      } catch (err) {
        return failure(deps, err, undefined);
      }
    },
  };
}
