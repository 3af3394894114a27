import type { CertificateSummary } from '../../admin/service.ts';
import { AppError } from '../../errors.ts';
import { html, type Html } from './html.ts';
import { can, csrfField, page, table, when, type PageContext } from './layout.ts';

/** RFC 5280 §5.3.1 reasons an operator picks from (removeFromCRL and the CA-only ones left out). */
const REVOCATION_REASONS: ReadonlyArray<[number, string]> = [
  [0, 'unspecified'], [1, 'keyCompromise'], [3, 'affiliationChanged'], [4, 'superseded'], [5, 'cessationOfOperation'], [9, 'privilegeWithdrawn'],
];

const SERIAL = /^[0-9a-fA-F:]{16,}$/;

function revokeForm(ctx: PageContext, c: CertificateSummary): Html | string {
  if (c.revokedAt !== null || !can(ctx, 'POST', `/admin/certificates/${c.serial}/revoke`)) return '';
  const id = `reason-${c.serial}`;
  return html`<form class="inline" method="post" action="/console/certificates/revoke">${csrfField(ctx)}
<input type="hidden" name="serial" value="${c.serial}">
<label for="${id}">Reason</label><select id="${id}" name="reason">${REVOCATION_REASONS.map(([n, name]) => html`<option value="${n}">${name}</option>`)}</select>
<button class="danger" type="submit">Revoke</button></form>`;
}

async function search(ctx: PageContext, q: string, account: string): Promise<CertificateSummary[]> {
  const caller = ctx.session.caller;
  if (SERIAL.test(q)) return [await ctx.admin.get<CertificateSummary>(caller, `/admin/certificates/${q.replace(/:/g, '')}`)];
  const query = new URLSearchParams({ limit: '500' });
  if (q !== '') query.set('name', q.toLowerCase());
  const list = await ctx.admin.get<CertificateSummary[]>(caller, `/admin/certificates?${query.toString()}`);
  return account === '' ? list : list.filter((c) => c.accountId === account);
}

/** Issued certificates: search by name, serial or account; revoke with a reason where the role may. */
export async function certificatesPage(ctx: PageContext, url: URL, flash?: { text: string; error?: boolean }): Promise<Html> {
  const q = (url.searchParams.get('q') ?? '').trim();
  const account = (url.searchParams.get('account') ?? '').trim();
  let found: CertificateSummary[] = [];
  let note = flash;
  try {
    found = await search(ctx, q, account);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'notFound') throw err;
    note = { text: err.message, error: true };
  }
  const form = html`<form class="inline" method="get" action="/console/certificates" role="search">
<label for="q">Name or serial</label><input id="q" name="q" value="${q}">
<label for="account">Account</label><input id="account" name="account" value="${account}">
<button type="submit">Search</button></form>`;
  const rows = found.map((c) => [
    html`<span class="mono">${c.serial}</span>`, c.names.join(', '), html`<a href="/console/accounts#${c.accountId}">${c.accountId}</a>`, when(c.notAfter),
    c.revokedAt === null ? 'valid' : `revoked ${when(c.revokedAt)} (${reasonName(c.revocationReason)})`, revokeForm(ctx, c),
  ]);
  return page(ctx, 'Issued certificates', html`${form}${table('Certificates', ['Serial', 'Names', 'Account', 'Not after', 'Status', 'Action'], rows)}`, note);
}

function reasonName(n: number | null): string {
  return REVOCATION_REASONS.find(([r]) => r === n)?.[1] ?? String(n ?? 0);
}

/** The revoke form's POST, sent to the admin route as the session's caller (its permission decides). */
export async function revokeAction(ctx: PageContext, form: URLSearchParams): Promise<string> {
  const serial = form.get('serial') ?? '';
  const reason = Number(form.get('reason') ?? '0');
  if (!/^[0-9a-fA-F:]+$/.test(serial)) throw new AppError('malformed', 'Choose a certificate to revoke by its serial');
  if (!REVOCATION_REASONS.some(([r]) => r === reason)) throw new AppError('malformed', 'Choose one of the listed revocation reasons');
  await ctx.admin.send(ctx.session.caller, 'POST', `/admin/certificates/${serial}/revoke`, { reason });
  return `Certificate ${serial} revoked (${reasonName(reason)}); it is on the next CRL.`;
}
