import type { AcmeResponse } from '../../acme/context.ts';
import { AppError } from '../../errors.ts';
import type { ReportFile } from '../../lab/report-files.ts';
import { REPORT_CSP } from '../drill-report-routes.ts';
import { html, type Html } from './html.ts';
import { page, table, when, type PageContext } from './layout.ts';

/** Kilobytes, as a listing reads best. */
const size = (bytes: number): string => `${Math.max(1, Math.round(bytes / 1024))} KB`;

/** The drill reports in console.drillReports, newest first; how to set it when unset. */
export async function drillsPage(ctx: PageContext): Promise<Html> {
  const { directory, reports } = await ctx.admin.get<{ directory?: string; reports: ReportFile[] }>(ctx.session.caller, '/admin/drill-reports');
  if (directory === undefined) {
    return page(ctx, 'Drill reports', html`<p>No drill reports directory is configured. Set <code>console.drillReports</code> to the directory
<code>certainty drill</code> writes its reports to (<code>certainty-drill-reports/</code> where the drill ran, or its <code>--html</code> directory),
for example <code>"console": {"drillReports": "/var/lib/certainty/drill-reports"}</code> in the configuration file or
<code>--set console.drillReports=/var/lib/certainty/drill-reports</code>, on the nodes that can read it.</p>`);
  }
  const rows = reports.map((r) => [html`<a href="/console/drills/${encodeURIComponent(r.name)}">${r.name}</a>`, when(r.modifiedAt), size(r.bytes)]);
  return page(ctx, 'Drill reports', html`<p class="muted">From <code>${directory}</code>. A report opens as its own page, with no script and no access to the console.</p>
${table('Reports, newest first', ['Report', 'Written', 'Size'], rows, 'none yet; run "certainty drill" and copy its HTML report here.')}`);
}

/** One report, read through the admin route as the session's caller and served sandboxed. */
export async function drillReport(ctx: PageContext, name: string): Promise<AcmeResponse> {
  const body = await ctx.admin.get<string>(ctx.session.caller, `/admin/drill-reports/${encodeURIComponent(name)}`);
  if (typeof body !== 'string') throw new AppError('serverInternal', 'The drill report route answered with something other than HTML');
  return {
    status: 200,
    headers: { 'Content-Security-Policy': REPORT_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' },
    raw: { contentType: 'text/html; charset=utf-8', body },
  };
}
