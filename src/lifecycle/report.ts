/**
 * What the lifecycle jobs tell this node's metrics (src/metrics implements it). Each call is one
 * event on this node; the cluster-wide state (expiry, readiness) is read from the database instead.
 */
export interface LifecycleReport {
  /** A new upstream order: placed, refused by the upstream, or held back by the issuer's rate budget. */
  upstreamOrder(issuer: string, outcome: 'created' | 'refused' | 'waiting'): void;
  /** A renewal attempt of the managed certificate `name` failed. */
  renewalFailed(name: string): void;
  /** A deploy job ended: done without a check, done and verified on the endpoint, or failed. */
  deployFinished(target: string, outcome: 'deployed' | 'verified' | 'failed'): void;
}

/** For callers that count nothing (CLI commands, tests). */
export const NO_LIFECYCLE_REPORT: LifecycleReport = {
  upstreamOrder: () => undefined,
  renewalFailed: () => undefined,
  deployFinished: () => undefined,
};
