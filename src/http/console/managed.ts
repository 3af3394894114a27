import { AppError } from '../../errors.ts';
import type { ManagedView } from '../../lifecycle/managed.ts';
import type { Revision } from '../../lifecycle/types.ts';
import { html, type Html } from './html.ts';
import { can, csrfField, page, table, when, type PageContext } from './layout.ts';

const NAME = /^[\w.-]{1,200}$/;

function renewForm(ctx: PageContext, name: string): Html | string {
  if (!can(ctx, 'POST', `/admin/managed/${encodeURIComponent(name)}/renew`)) return '';
  return html`<form class="inline" method="post" action="/console/managed/renew">${csrfField(ctx)}<input type="hidden" name="name" value="${name}"><button type="submit">Renew now</button></form>`;
}

/** Managed certificates with their renewal state; "renew now" where the role may. */
export async function managedPage(ctx: PageContext, flash?: { text: string; error?: boolean }): Promise<Html> {
  const list = await ctx.admin.get<ManagedView[]>(ctx.session.caller, '/admin/managed');
  const rows = list.map((m) => [
    html`<a href="/console/managed/${encodeURIComponent(m.name)}">${m.name}</a>`, m.issuer, m.status, String(m.failures), when(m.nextRenewalAt), renewForm(ctx, m.name),
  ]);
  return page(ctx, 'Managed certificates', table('Managed certificates', ['Name', 'Issuer', 'Status', 'Failures', 'Next renewal', 'Action'], rows), flash);
}

/** One managed certificate: its state, last outcome, and every revision issued for it. */
export async function managedDetailPage(ctx: PageContext, name: string): Promise<Html> {
  if (!NAME.test(name)) throw new AppError('notFound', 'No managed certificate by that name');
  const caller = ctx.session.caller;
  const m = await ctx.admin.get<ManagedView>(caller, `/admin/managed/${encodeURIComponent(name)}`);
  const history = await ctx.admin.get<Revision[]>(caller, `/admin/managed/${encodeURIComponent(name)}/history`);
  const facts = html`<dl><dt>Status</dt><dd>${m.status}</dd><dt>Last outcome</dt><dd>${m.lastOutcome}: ${m.lastDetail} (${when(m.lastAttemptAt ?? null)})</dd>
<dt>Next renewal</dt><dd>${when(m.nextRenewalAt)} (${m.renewalRule})</dd><dt>Deploy targets</dt><dd>${m.spec.targets.map((t) => t.type).join(', ') || 'none'}</dd></dl>`;
  const rows = history.map((r) => [String(r.revision), html`<span class="mono">${r.serial}</span>`, when(r.notBefore), when(r.notAfter), r.rule, when(r.createdAt)]);
  const deploys = (m.deploys ?? []).map((d) => [
    String(d.target), d.type, d.revision === undefined ? '-' : String(d.revision), html`<span class="state ${d.state}">${d.state}</span>`, d.detail, when(d.at),
  ]);
  const deployTable = table('Last deploy of each target', ['Target', 'Type', 'Revision', 'Outcome', 'Detail', 'When'], deploys, 'no deploy targets.');
  return page(ctx, `Managed certificate ${m.name}`, html`${facts}${renewForm(ctx, m.name)}<h2>Deploy status</h2>${deployTable}
<h2>History</h2>${table('Revisions', ['Revision', 'Serial', 'Not before', 'Not after', 'Rule', 'Issued'], rows)}`);
}

/** "Renew now", sent to the admin route as the session's caller. */
export async function renewAction(ctx: PageContext, form: URLSearchParams): Promise<string> {
  const name = form.get('name') ?? '';
  if (!NAME.test(name)) throw new AppError('malformed', 'Choose a managed certificate to renew');
  await ctx.admin.send(ctx.session.caller, 'POST', `/admin/managed/${encodeURIComponent(name)}/renew`);
  return `Renewal of ${name} queued.`;
}
