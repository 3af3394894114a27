/**
 * The accounts and SSH pages' forms: EAB key create and revoke, account deactivate, SSH
 * certificate revoke. Each is shown only where `can` allows its admin route, and each is sent to
 * that route as the session's caller, whose permission check is the only one.
 */
import { AppError } from '../../errors.ts';
import { html, type Html } from './html.ts';
import { can, csrfField, page, type PageContext } from './layout.ts';

const ID = /^[\w-]{1,100}$/;
const SERIAL = /^\d{1,20}$/;

/** A one-button form posting `field=value` to a console action, when the role may call `route`. */
function button(ctx: PageContext, route: string, action: string, field: string, value: string, label: string): Html | string {
  if (!can(ctx, 'POST', route)) return '';
  return html`<form class="inline" method="post" action="${action}">${csrfField(ctx)}<input type="hidden" name="${field}" value="${value}"><button class="danger" type="submit">${label}</button></form>`;
}

export const deactivateForm = (ctx: PageContext, id: string): Html | string =>
  button(ctx, `/admin/accounts/${id}/deactivate`, '/console/accounts/deactivate', 'id', id, 'Deactivate');
export const eabRevokeForm = (ctx: PageContext, kid: string): Html | string => button(ctx, `/admin/eab/${kid}/revoke`, '/console/eab/revoke', 'kid', kid, 'Revoke');
export const sshRevokeForm = (ctx: PageContext, serial: string): Html | string =>
  button(ctx, '/admin/ssh/revoke', '/console/ssh/revoke', 'serial', serial, 'Revoke');

/** "New EAB key", with a label, when the role manages EAB keys. */
export function eabCreateForm(ctx: PageContext): Html | string {
  if (!can(ctx, 'POST', '/admin/eab')) return '';
  return html`<form class="inline" method="post" action="/console/eab/create">${csrfField(ctx)}<label for="eab-label">Label</label>
<input id="eab-label" name="label" maxlength="200"><button type="submit">Create EAB key</button></form>`;
}

const field = (form: URLSearchParams, name: string, shape: RegExp, what: string): string => {
  const v = form.get(name) ?? '';
  if (!shape.test(v)) throw new AppError('malformed', `Choose ${what}`);
  return v;
};

/** Creates a key and shows its HMAC key on this page only: it is never shown again. */
export async function eabCreateAction(ctx: PageContext, form: URLSearchParams): Promise<Html> {
  const label = (form.get('label') ?? '').trim();
  const key = await ctx.admin.send<{ kid: string; hmacKey: string }>(ctx.session.caller, 'POST', '/admin/eab', { label });
  return page(ctx, 'New EAB key', html`<p role="status">EAB key <span class="mono">${key.kid}</span> created${label === '' ? '' : html` (${label})`}. Copy its HMAC key now: it is shown only this once.</p>
<dl><dt>Key id</dt><dd class="mono">${key.kid}</dd><dt>HMAC key</dt><dd class="mono" id="eab-hmac">${key.hmacKey}</dd></dl>
<p><a href="/console/accounts">Back to ACME accounts</a></p>`);
}

export async function eabRevokeAction(ctx: PageContext, form: URLSearchParams): Promise<string> {
  const kid = field(form, 'kid', ID, 'an EAB key to revoke');
  await ctx.admin.send(ctx.session.caller, 'POST', `/admin/eab/${kid}/revoke`);
  return `EAB key ${kid} revoked: no new account can bind to it.`;
}

export async function deactivateAction(ctx: PageContext, form: URLSearchParams): Promise<string> {
  const id = field(form, 'id', ID, 'an account to deactivate');
  await ctx.admin.send(ctx.session.caller, 'POST', `/admin/accounts/${id}/deactivate`);
  return `Account ${id} deactivated.`;
}

export async function sshRevokeAction(ctx: PageContext, form: URLSearchParams): Promise<string> {
  const serial = field(form, 'serial', SERIAL, 'an SSH certificate to revoke');
  await ctx.admin.send(ctx.session.caller, 'POST', '/admin/ssh/revoke', { serial, reason: 'revoked from the web console' });
  return `SSH certificate ${serial} revoked; the KRL is rebuilt.`;
}
