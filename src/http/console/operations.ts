import type { AuditRecordJson } from '../../audit/wire.ts';
import type { VerifyReport } from '../../audit/verify.ts';
import type { ClusterStatus } from '../../cluster/status.ts';
import { humanDuration } from '../../duration.ts';
import { html, type Html } from './html.ts';
import { can, page, table, when, type PageContext } from './layout.ts';

const FILTERS = ['actor', 'action', 'object', 'node'] as const;

function verifySection(report: VerifyReport): Html {
  const rows = report.chains.map((c) => [c.nodeId, String(c.headSeq ?? '-'), c.intact ? 'intact' : 'BROKEN', c.checkpoint === null ? 'none' : `up to ${c.checkpoint.seq}`, String(c.problems.length)]);
  const verdict = report.intact ? 'Every chain is intact.' : 'A chain is broken: see the problems below and docs/audit.md.';
  return html`<section aria-labelledby="verify"><h2 id="verify">Chain verification</h2><p role="status">${verdict}</p>
${table('Chains', ['Node', 'Head', 'Chain', 'Signed checkpoint', 'Problems'], rows)}</section>`;
}

/** The audit log, newest first, filtered like `certainty audit list`; chain verification on request. */
export async function auditPage(ctx: PageContext, url: URL): Promise<Html> {
  const caller = ctx.session.caller;
  const query = new URLSearchParams({ limit: '200' });
  for (const f of FILTERS) {
    const v = (url.searchParams.get(f) ?? '').trim();
    if (v !== '') query.set(f, v);
  }
  const records = await ctx.admin.get<AuditRecordJson[]>(caller, `/admin/audit?${query.toString()}`);
  const inputs = FILTERS.map((f) => html`<label for="f-${f}">${f[0]?.toUpperCase()}${f.slice(1)}</label><input id="f-${f}" name="${f}" value="${query.get(f) ?? ''}">`);
  const form = html`<form class="inline" method="get" action="/console/audit" role="search">${inputs}<button type="submit">Filter</button></form>`;
  const rows = records.map((r) => [when(r.time), r.nodeId, String(r.seq), r.actor, r.action, r.object, r.outcome, html`<span class="mono">${JSON.stringify(r.details ?? {})}</span>`]);
  const verify = url.searchParams.get('verify') === '1' && can(ctx, 'GET', '/admin/audit/verify')
    ? verifySection(await ctx.admin.get<VerifyReport>(caller, '/admin/audit/verify'))
    : html`<p><a href="/console/audit?verify=1">Verify the chains</a></p>`;
  return page(ctx, 'Audit log', html`${verify}${form}${table('Records, newest first', ['Time', 'Node', 'Seq', 'Actor', 'Action', 'Object', 'Outcome', 'Details'], rows)}`);
}

/** Nodes with their heartbeats, leases with holders and fencing tokens, the job queue. */
export async function clusterPage(ctx: PageContext): Promise<Html> {
  const s = await ctx.admin.get<ClusterStatus>(ctx.session.caller, '/admin/cluster');
  const nodes = table('Nodes', ['Node', 'Status', 'Version', 'Address', 'Started', 'Last seen', 'Leases'], s.nodes.map((n) => [
    n.id, n.status, n.version, n.address, when(n.startedAt), `${humanDuration(n.lastSeenAgoMs)} ago`, n.leases.join(', ') || '-',
  ]));
  const leases = table('Leases', ['Lease', 'Holder', 'Fencing token', 'Expires'], s.leases.map((l) => [
    l.name, l.holder ?? 'nobody', String(l.token), l.expiresInMs === null ? when(l.expiresAt) : `in ${humanDuration(l.expiresInMs)}`,
  ]));
  const q = s.queue;
  const jobs = table('Jobs', ['Queued', 'Running', 'Failed', 'Done'], [[String(q.queued), String(q.running), String(q.failed), String(q.done)]]);
  return page(ctx, 'Cluster', html`<h2>Nodes</h2>${nodes}<h2>Leases</h2>${leases}<h2>Job queue</h2>${jobs}`);
}
