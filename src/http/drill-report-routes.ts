import { z } from 'zod';
import { AppError } from '../errors.ts';
import { listReports, readReport } from '../lab/report-files.ts';
import { needs, ok, type AdminRoute } from './admin-routes.ts';
import { epochMs } from './admin-schemas.ts';

/**
 * A report is our own HTML, but it quotes what a run saw (error messages, config): it is served
 * sandboxed (no script, no same origin, no forms), with only its inline styles and data: images.
 */
export const REPORT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const reportsSchema = z.object({
  directory: z.string().optional().meta({ description: 'console.drillReports; unset: no directory is configured' }),
  reports: z.array(z.object({ name: z.string(), modifiedAt: epochMs, bytes: z.int() })),
});

const unset = (): AppError => new AppError('notFound', 'No drill reports directory is configured; set console.drillReports to the directory "certainty drill" writes its reports to');

/** The drill reports in `console.drillReports` (src/lab/report-files.ts), for the console and API clients: status.read. */
export function drillReportRoutes(dir: string | undefined): AdminRoute[] {
  const status = needs('status.read');
  return [
    status('GET', /^\/admin\/drill-reports$/, async () => ok(dir === undefined ? { reports: [] } : { directory: dir, reports: await listReports(dir) }), {
      summary: 'Drill reports in console.drillReports, newest first', response: reportsSchema,
    }),
    status('GET', /^\/admin\/drill-reports\/([^/]+)$/, async ({ params }) => {
      if (dir === undefined) throw unset();
      const body = await readReport(dir, params[0] as string);
      return { status: 200, headers: { 'Content-Security-Policy': REPORT_CSP, 'X-Content-Type-Options': 'nosniff' }, raw: { contentType: 'text/html; charset=utf-8', body } };
    }, { summary: 'One drill report (HTML, served sandboxed)', template: '/admin/drill-reports/{name}', text: 'text/html' }),
  ];
}
