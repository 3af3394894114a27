import type { EabKeyInfo } from '../../admin/eab.ts';
import type { AccountSummary } from '../../admin/service.ts';
import type { SshCertRecord } from '../../ssh/types.ts';
import { html, type Html } from './html.ts';
import { deactivateForm, eabCreateForm, eabRevokeForm, sshRevokeForm } from './inventory-actions.ts';
import { can, page, table, when, type PageContext } from './layout.ts';

type Flash = { text: string; error?: boolean };

/** ACME accounts, and the EAB keys when the role manages them (an HMAC key is shown once, on the page that creates it). */
export async function accountsPage(ctx: PageContext, flash?: Flash): Promise<Html> {
  const caller = ctx.session.caller;
  const accounts = await ctx.admin.get<AccountSummary[]>(caller, '/admin/accounts?limit=1000');
  const rows = accounts.map((a) => [
    html`<span class="mono" id="${a.id}">${a.id}</span>`, a.status, a.contact.join(', ') || '-', a.eabKid ?? '-', String(a.orders), String(a.certificates),
    html`<a href="/console/certificates?account=${a.id}">certificates</a>`, when(a.createdAt), a.status === 'valid' ? deactivateForm(ctx, a.id) : '',
  ]);
  let eab: Html | string = '';
  if (can(ctx, 'GET', '/admin/eab')) {
    const keys = await ctx.admin.get<EabKeyInfo[]>(caller, '/admin/eab');
    eab = html`<h2>External account binding keys</h2>${eabCreateForm(ctx)}${table('EAB keys', ['Key id', 'Label', 'Bound to account', 'Created', 'Status', 'Action'], keys.map((k) => [
      html`<span class="mono">${k.kid}</span>`, k.label, k.accountId ?? '-', when(k.createdAt), k.revoked ? 'revoked' : 'usable', k.revoked ? '' : eabRevokeForm(ctx, k.kid),
    ]))}`;
  }
  return page(ctx, 'ACME accounts', html`${table('Accounts', ['Account', 'Status', 'Contact', 'EAB key', 'Orders', 'Certificates', '', 'Created', 'Action'], rows)}${eab}`, flash);
}

/** SSH certificates signed, and where hosts fetch the KRL. */
export async function sshPage(ctx: PageContext, now: number, flash?: Flash): Promise<Html> {
  const certs = await ctx.admin.get<SshCertRecord[]>(ctx.session.caller, '/admin/ssh/certificates');
  const rows = certs.map((c) => [
    html`<span class="mono">${String(c.serial)}</span>`, c.kind, c.role, c.keyId, c.principals.join(', '),
    when(c.validBefore), c.revokedAt !== null ? `revoked ${when(c.revokedAt)}` : c.validBefore < now ? 'expired' : 'valid',
    c.revokedAt === null && c.validBefore >= now ? sshRevokeForm(ctx, String(c.serial)) : '',
  ]);
  const krl = html`<p>Hosts fetch the key revocation list from <a href="/ssh/krl">/ssh/krl</a> (OpenSSH KRL format).</p>`;
  return page(ctx, 'SSH certificates', html`${krl}${table('SSH certificates', ['Serial', 'Kind', 'Role', 'Key id', 'Principals', 'Valid before', 'Status', 'Action'], rows)}`, flash);
}
