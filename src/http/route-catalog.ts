import { adminRoutes, type AdminDeps, type AdminRoute } from './admin-routes.ts';
import { drillReportRoutes } from './drill-report-routes.ts';
import { lifecycleRoutes } from './lifecycle-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { notifyRoutes } from './notify-routes.ts';
import { opsRoutes } from './ops-routes.ts';
import { probeRoutes } from './probe-routes.ts';
import { secretsRoutes } from './secrets-routes.ts';
import { sshRoutes } from './ssh-routes.ts';

/**
 * Every admin route a node serves (src/serve.ts passes the same tables), built on stand-ins: only
 * what routes say about themselves is read, never a handler. docs/openapi.json is generated from it.
 */
export function everyAdminRoute(): AdminRoute[] {
  const none = {} as never;
  return adminRoutes({ routes: [...metricsRoutes(none), ...sshRoutes(none), ...secretsRoutes(none), ...lifecycleRoutes(none), ...probeRoutes(none), ...notifyRoutes(none), ...opsRoutes(none), ...drillReportRoutes(undefined)] } as unknown as AdminDeps);
}
