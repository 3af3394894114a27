import type { IncomingMessage } from 'node:http';
import type { AcmeResponse } from '../../acme/context.ts';
import type { ConsoleOidc } from '../../admin/console-oidc.ts';
import type { ConsoleSessions } from '../../admin/console-sessions.ts';
import { AppError } from '../../errors.ts';
import { html } from './html.ts';
import { publicPage } from './layout.ts';
import { clearCookie, cookieOf, htmlResponse, OIDC_COOKIE, redirect, sessionCookie } from './responses.ts';

/** `GET /console/oidc/start`: to the provider, with this browser's sign-in cookie. */
export async function oidcStart(oidc: ConsoleOidc | undefined): Promise<AcmeResponse> {
  if (oidc === undefined) throw new AppError('notFound', 'Single sign-on is not configured on this console (console.oidc)');
  const { redirectTo, browser } = await oidc.start();
  return redirect(redirectTo, { 'Set-Cookie': `${OIDC_COOKIE}=${browser}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600` });
}

/**
 * `GET /console/oidc/callback`: the provider's answer. On success the session cookie is set on a
 * page of this origin that moves on to the dashboard, since a Strict cookie set during a
 * cross-site redirect chain would not be sent on its next hop.
 */
export async function oidcCallback(oidc: ConsoleOidc | undefined, sessions: ConsoleSessions, req: IncomingMessage, url: URL): Promise<AcmeResponse> {
  if (oidc === undefined) throw new AppError('notFound', 'Single sign-on is not configured on this console (console.oidc)');
  const outcome = await oidc.finish(url.searchParams, cookieOf(req, OIDC_COOKIE));
  if ('refused' in outcome) {
    await sessions.refused(outcome.refused);
    return htmlResponse(403, publicPage('Sign-in refused', html`<p class="flash error" role="alert">${outcome.refused}</p><p><a href="/console/login">Back to sign in</a></p>`), { 'Set-Cookie': clearCookie(OIDC_COOKIE) });
  }
  const id = await sessions.signInAs(outcome.subject, outcome.role);
  const body = publicPage('Signed in', html`<p role="status">Signed in as ${outcome.subject} (${outcome.role}).</p><p><a href="/console/">Continue to the dashboard</a></p>`);
  return htmlResponse(200, body, { 'Set-Cookie': [sessionCookie(id), clearCookie(OIDC_COOKIE)], Refresh: '0; url=/console/' });
}
