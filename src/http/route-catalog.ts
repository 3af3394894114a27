import { adminRoutes, type AdminDeps, type AdminRoute } from './admin-routes.ts';
import { drillReportRoutes } from './drill-report-routes.ts';
import { lifecycleRoutes } from './lifecycle-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { notifyRoutes } from './notify-routes.ts';
import { opsRoutes } from './ops-routes.ts';
import { probeRoutes } from './probe-routes.ts';
import { secretsRoutes } from './secrets-routes.ts';
import { sshRoutes } from './ssh-routes.ts';

/** What each domain's admin routes are built from (src/serve.ts wires the real services). */
export interface DomainRouteDeps {
  metrics: Parameters<typeof metricsRoutes>[0];
  ssh: Parameters<typeof sshRoutes>[0];
  secrets: Parameters<typeof secretsRoutes>[0];
  lifecycle: Parameters<typeof lifecycleRoutes>[0];
  probes: Parameters<typeof probeRoutes>[0];
  notify: Parameters<typeof notifyRoutes>[0];
  ops: Parameters<typeof opsRoutes>[0];
  /** `console.drillReports`: the directory of drill reports, when set. */
  drillReports: string | undefined;
}

/** The domains' admin routes beside the core ones of admin-routes.ts, in the order they are matched. */
export function domainRoutes(d: DomainRouteDeps): AdminRoute[] {
  return [
    ...metricsRoutes(d.metrics), ...sshRoutes(d.ssh), ...secretsRoutes(d.secrets), ...lifecycleRoutes(d.lifecycle),
    ...probeRoutes(d.probes), ...notifyRoutes(d.notify), ...opsRoutes(d.ops), ...drillReportRoutes(d.drillReports),
  ];
}

/**
 * Every admin route a node serves, built on stand-ins: only what routes say about themselves is
 * read, never a handler. docs/openapi.json is generated from it.
 */
export function everyAdminRoute(): AdminRoute[] {
  const none = {} as never;
  return adminRoutes({ routes: domainRoutes({ metrics: none, ssh: none, secrets: none, lifecycle: none, probes: none, notify: none, ops: none, drillReports: undefined }) } as unknown as AdminDeps);
}
