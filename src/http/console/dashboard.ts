import type { CertificateSummary } from '../../admin/service.ts';
import type { CursorStatus } from '../../audit/store.ts';
import type { ClusterStatus } from '../../cluster/status.ts';
import { humanDuration } from '../../duration.ts';
import type { ManagedView } from '../../lifecycle/managed.ts';
import { html, type Html } from './html.ts';
import { can, page, type PageContext } from './layout.ts';

/** Certificates ending within this are listed as needing attention (the first renewal reminder most teams use). */
const EXPIRING_WITHIN_MS = 30 * 86_400_000;
/** Queued jobs above this are a backlog worth a look. */
const QUEUE_BACKLOG = 100;

interface Item {
  level: 'bad' | 'warn';
  text: Html;
}

async function certificateItems(ctx: PageContext, now: number): Promise<Item[]> {
  if (!can(ctx, 'GET', '/admin/certificates')) return [];
  const certs = await ctx.admin.get<CertificateSummary[]>(ctx.session.caller, '/admin/certificates?revoked=false&limit=10000');
  return certs.filter((c) => c.replacedBy === null && Date.parse(c.notAfter) - now < EXPIRING_WITHIN_MS).map((c) => {
    const left = Date.parse(c.notAfter) - now;
    const text = left <= 0 ? 'expired' : `expires in ${humanDuration(left)}`;
    return { level: left < 7 * 86_400_000 ? 'bad' : 'warn', text: html`Certificate <a href="/console/certificates?q=${c.serial}">${c.names.join(', ')}</a> ${text}` };
  });
}

async function managedItems(ctx: PageContext): Promise<Item[]> {
  if (!can(ctx, 'GET', '/admin/managed')) return [];
  const managed = await ctx.admin.get<ManagedView[]>(ctx.session.caller, '/admin/managed');
  return managed.filter((m) => m.failures > 0 || m.lastOutcome === 'failed').map((m) => ({
    level: 'bad', text: html`Managed certificate <a href="/console/managed/${encodeURIComponent(m.name)}">${m.name}</a>: ${m.status}`,
  }));
}

async function clusterItems(ctx: PageContext): Promise<Item[]> {
  if (!can(ctx, 'GET', '/admin/cluster')) return [];
  const status = await ctx.admin.get<ClusterStatus>(ctx.session.caller, '/admin/cluster');
  const nodes: Item[] = status.nodes.filter((n) => n.status !== 'up').map((n) => ({
    level: n.status === 'down' ? 'bad' : 'warn', text: html`Node <a href="/console/cluster">${n.id}</a> is ${n.status} (last seen ${humanDuration(n.lastSeenAgoMs)} ago)`,
  }));
  const queue: Item[] = [];
  if (status.queue.queued > QUEUE_BACKLOG) queue.push({ level: 'warn', text: html`<a href="/console/cluster">Job queue</a>: ${status.queue.queued} jobs waiting` });
  if (status.queue.failed > 0) queue.push({ level: 'warn', text: html`<a href="/console/cluster">Job queue</a>: ${status.queue.failed} failed jobs` });
  const leases: Item[] = status.leases.filter((l) => l.holder === null || (l.expiresInMs ?? 0) <= 0).map((l) => ({
    level: 'bad', text: html`Lease <a href="/console/cluster">${l.name}</a> has no live holder (fencing token ${l.token})`,
  }));
  return [...nodes, ...leases, ...queue];
}

async function auditItems(ctx: PageContext): Promise<Item[]> {
  if (!can(ctx, 'GET', '/admin/audit/sinks')) return [];
  const sinks = await ctx.admin.get<CursorStatus[]>(ctx.session.caller, '/admin/audit/sinks');
  return sinks.filter((s) => s.lastError !== null && s.headSeq > s.seq).map((s) => ({
    level: 'bad', text: html`Audit sink <a href="/console/audit">${s.sink}</a> is behind on node ${s.nodeId} by ${s.headSeq - s.seq} records: ${s.lastError}`,
  }));
}

/** Who holds each lease and its fencing token: the question asked first on a bad day. */
async function leaseSummary(ctx: PageContext): Promise<Html> {
  if (!can(ctx, 'GET', '/admin/cluster')) return html``;
  const status = await ctx.admin.get<ClusterStatus>(ctx.session.caller, '/admin/cluster');
  const up = status.nodes.filter((n) => n.status === 'up').length;
  const holders = status.leases.map((l) => html`<li>${l.name}: ${l.holder ?? 'nobody'} (fencing token ${l.token})</li>`);
  return html`<h2>Cluster</h2><p>${up} of ${status.nodes.length} nodes up; ${status.queue.queued} jobs queued, ${status.queue.running} running.</p><ul>${holders}</ul>`;
}

/** The dashboard: what needs attention now, each item linking to its page. */
export async function dashboardPage(ctx: PageContext, now: number): Promise<Html> {
  const groups = await Promise.all([certificateItems(ctx, now), managedItems(ctx), clusterItems(ctx), auditItems(ctx)]);
  const items = groups.flat().sort((a, b) => (a.level === b.level ? 0 : a.level === 'bad' ? -1 : 1));
  const list = items.length === 0
    ? html`<ul class="attention"><li class="good">Nothing needs attention.</li></ul>`
    : html`<ul class="attention">${items.map((i) => html`<li class="${i.level}">${i.text}</li>`)}</ul>`;
  const verify = can(ctx, 'GET', '/admin/audit/verify') ? html`<p><a href="/console/audit?verify=1">Verify the audit chains</a></p>` : '';
  return page(ctx, 'Dashboard', html`<section aria-labelledby="attention"><h2 id="attention">Needs attention (${items.length})</h2>${list}</section>${await leaseSummary(ctx)}${verify}`);
}
