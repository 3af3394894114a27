import type { ConsoleSession } from '../../admin/console-sessions.ts';
import type { ConsoleAdmin } from './admin-call.ts';
import { html, type Html, type Part } from './html.ts';

/** A page of the console and the admin route whose data it shows: readable when that route is. */
interface NavItem {
  href: string;
  label: string;
  source: string;
}

const NAV: readonly NavItem[] = [
  { href: '/console/', label: 'Dashboard', source: '/admin/status' },
  { href: '/console/certificates', label: 'Certificates', source: '/admin/certificates' },
  { href: '/console/accounts', label: 'ACME accounts', source: '/admin/accounts' },
  { href: '/console/managed', label: 'Managed', source: '/admin/managed' },
  { href: '/console/ssh', label: 'SSH', source: '/admin/ssh/certificates' },
  { href: '/console/secrets', label: 'Secrets', source: '/admin/secrets/list' },
  { href: '/console/audit', label: 'Audit', source: '/admin/audit' },
  { href: '/console/cluster', label: 'Cluster', source: '/admin/cluster' },
  { href: '/console/drills', label: 'Drill reports', source: '/admin/drill-reports' },
];

/** Everything a page renders with: who is signed in, and what their role may call. */
export interface PageContext {
  session: ConsoleSession;
  admin: ConsoleAdmin;
  /** The request's path, to mark the current page in the navigation. */
  path: string;
}

/** Whether the signed-in caller may call the admin route (its declared permission). */
export const can = (ctx: PageContext, method: string, path: string): boolean => ctx.admin.allows(ctx.session.caller, method, path);

/** The hidden field every form carries: the session's synchronizer token. */
export const csrfField = (ctx: PageContext): Html => html`<input type="hidden" name="csrf" value="${ctx.session.csrf}">`;

function shell(title: string, header: Part, body: Part): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Certainty</title><link rel="stylesheet" href="/console/static/console.css"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top">${header}</header>
<main id="main">${body}</main></body></html>`;
}

/** A signed-in page: navigation limited to what the role may read, who is signed in, sign out. */
export function page(ctx: PageContext, title: string, body: Part, flash?: { text: string; error?: boolean }): Html {
  const items = NAV.filter((n) => can(ctx, 'GET', n.source)).map((n) => {
    const current = n.href === ctx.path || (n.href !== '/console/' && ctx.path.startsWith(n.href));
    return html`<li><a href="${n.href}"${current ? html` aria-current="page"` : ''}>${n.label}</a></li>`;
  });
  const { caller, subject } = ctx.session;
  const header = html`<a class="brand" href="/console/">Certainty</a>
<nav aria-label="Console"><ul>${items}</ul></nav>
<div class="who"><span>${subject} (${caller.role})</span>
<form method="post" action="/console/logout">${csrfField(ctx)}<button class="quiet" type="submit">Sign out</button></form></div>`;
  const note = flash === undefined ? '' : html`<p class="flash${flash.error === true ? ' error' : ''}" role="${flash.error === true ? 'alert' : 'status'}">${flash.text}</p>`;
  return shell(title, header, html`<h1>${title}</h1>${note}${body}`);
}

/** A page for someone not signed in (the sign-in form, a refusal). */
export function publicPage(title: string, body: Part): Html {
  return shell(title, html`<span class="brand">Certainty</span>`, html`<h1>${title}</h1>${body}`);
}

/** A data table with a caption and column headers; `empty` when there are no rows. */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly Part[])[], empty = 'None.'): Html {
  if (rows.length === 0) return html`<p class="muted">${caption}: ${empty}</p>`;
  return html`<table><caption class="muted">${caption}</caption><thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
}

/** An ISO time from epoch ms or an ISO string; "-" for none. */
export function when(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return '-';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
