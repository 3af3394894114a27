import { AppError } from '../../errors.ts';
import type { SecretListing, SecretMetadata, SecretVersion } from '../../secrets/types.ts';
import { html, type Html } from './html.ts';
import { can, csrfField, page, table, when, type PageContext } from './layout.ts';

/** How many paths of a listing get their settings read (to show which need a reveal reason). */
const DETAILED = 100;

/** A secret path as admin URL segments; `.` and `..` would be resolved by URL parsing and leave /admin/secrets, so they are refused. */
function encodePath(path: string): string {
  const segments = path.split('/');
  if (segments.some((s) => s === '.' || s === '..')) throw new AppError('malformed', 'A secret path has no "." or ".." segments');
  return segments.map(encodeURIComponent).join('/');
}

function revealForm(ctx: PageContext, path: string, reasonRequired: boolean): Html | string {
  if (!can(ctx, 'GET', `/admin/secrets/data/${encodePath(path)}`)) return '';
  const id = `reason-${path}`;
  return html`<form class="inline" method="post" action="/console/secrets/reveal">${csrfField(ctx)}<input type="hidden" name="path" value="${path}">
<label for="${id}">Reason${reasonRequired ? ' (required)' : ''}</label><input id="${id}" name="reason" maxlength="200"${reasonRequired ? html` required` : ''}>
<button type="submit">Reveal</button></form>`;
}

/** Secrets' metadata under a prefix (never a value); reveal asks a reason where the path requires one, and is audited. */
export async function secretsPage(ctx: PageContext, url: URL): Promise<Html> {
  const caller = ctx.session.caller;
  const prefix = (url.searchParams.get('prefix') ?? '').trim();
  const list = await ctx.admin.get<SecretListing[]>(caller, prefix === '' ? '/admin/secrets/list' : `/admin/secrets/list/${encodePath(prefix)}`);
  const rows = await Promise.all(list.map(async (s, i) => {
    const meta = i < DETAILED && can(ctx, 'GET', `/admin/secrets/metadata/${encodePath(s.path)}`)
      ? await ctx.admin.get<SecretMetadata>(caller, `/admin/secrets/metadata/${encodePath(s.path)}`).catch(() => undefined)
      : undefined;
    const required = meta?.revealReasonRequired ?? false;
    return [html`<span class="mono">${s.path}</span>`, String(s.currentVersion), when(s.updatedAt), required ? 'reason required' : '-', revealForm(ctx, s.path, required)];
  }));
  const form = html`<form class="inline" method="get" action="/console/secrets" role="search"><label for="prefix">Path prefix</label><input id="prefix" name="prefix" value="${prefix}"><button type="submit">List</button></form>`;
  return page(ctx, 'Secrets', html`${form}${table('Secrets (metadata only)', ['Path', 'Version', 'Updated', 'Reveal', 'Action'], rows)}`);
}

/** Reveals the current version through the admin route (which checks the policy and the reason, and writes the audit record). */
export async function revealPage(ctx: PageContext, form: URLSearchParams): Promise<Html> {
  const path = form.get('path') ?? '';
  const reason = (form.get('reason') ?? '').trim();
  if (path === '' || path.length > 512) throw new AppError('malformed', 'Choose a secret to reveal');
  const query = reason === '' ? '' : `?${new URLSearchParams({ reason }).toString()}`;
  const v = await ctx.admin.get<SecretVersion>(ctx.session.caller, `/admin/secrets/data/${encodePath(path)}${query}`);
  const rows = Object.entries(v.data).map(([k, value]) => [k, html`<span class="mono">${value}</span>`]);
  const note = { text: `Revealed version ${v.version} of ${v.path}; this is recorded in the audit log.` };
  return page(ctx, `Secret ${v.path}`, html`${table('Fields', ['Field', 'Value'], rows)}<p><a href="/console/secrets">Back to secrets</a></p>`, note);
}
