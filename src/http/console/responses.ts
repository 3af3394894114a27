import type { IncomingMessage } from 'node:http';
import type { AcmeResponse } from '../../acme/context.ts';
import { SESSION_MAX_MS } from '../../admin/console-sessions.ts';
import type { Html } from './html.ts';

/** `__Host-`: only over HTTPS, only from this host, path / (RFC 6265bis §4.1.3.2); SameSite=Strict: never sent from another site. */
export const SESSION_COOKIE = '__Host-certainty_session';
/**
 * Binds an OpenID Connect sign-in to the browser that started it. Lax, the one exception: the
 * provider's redirect back is a cross-site navigation, on which a Strict cookie is not sent.
 */
export const OIDC_COOKIE = '__Host-certainty_oidc';

/** No script at all; forms post only here; never framed. */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

export const htmlResponse = (status: number, body: Html, headers: Record<string, string | string[]> = {}): AcmeResponse =>
  ({ status, headers: { ...SECURITY_HEADERS, ...headers }, raw: { contentType: 'text/html; charset=utf-8', body: body.markup } });

export const redirect = (to: string, headers: Record<string, string | string[]> = {}): AcmeResponse =>
  ({ status: 303, headers: { ...SECURITY_HEADERS, Location: to, ...headers }, raw: { contentType: 'text/plain', body: '' } });

export const cssResponse = (css: string): AcmeResponse =>
  ({ status: 200, headers: { ...SECURITY_HEADERS, 'Cache-Control': 'max-age=3600' }, raw: { contentType: 'text/css; charset=utf-8', body: css } });

export const sessionCookie = (id: string): string => `${SESSION_COOKIE}=${id}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_MS / 1000}`;

export const clearCookie = (name: string): string => `${name}=; Path=/; Secure; HttpOnly; SameSite=${name === OIDC_COOKIE ? 'Lax' : 'Strict'}; Max-Age=0`;

export function cookieOf(req: IncomingMessage, cookie: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === cookie) return value.join('=');
  }
  return undefined;
}
