import type { AdminRoute } from './admin-routes.ts';

/** The node's metrics in the Prometheus text format (src/metrics). */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/**
 * GET /metrics for Prometheus, with the `metrics.read` permission (a `machine` token in the scrape
 * job's `bearer_token_file` has it): metrics carry counts, ids and managed certificates' names,
 * never secrets or the names clients ask for.
 */
export function metricsRoutes(metrics: MetricsSource): AdminRoute[] {
  return [{
    method: 'GET',
    path: /^\/metrics$/,
    permission: 'metrics.read',
    summary: "This node's metrics in the Prometheus text format",
    text: 'text/plain',
    handle: async () => ({ status: 200, headers: { 'Cache-Control': 'no-store' }, raw: { contentType: metrics.contentType, body: await metrics.render() } }),
  }];
}
