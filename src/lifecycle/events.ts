/**
 * What the lifecycle tells the outside world: conditions it raises and clears (a renewal that
 * failed, a certificate running out of time...). Lifecycle declares this port; the composition
 * root puts notifications behind it (src/notify), so lifecycle knows nothing of channels.
 */

/** Conditions that hold until they clear, and one-shot events (`issued`, `renewed`). */
export const CONDITION_KINDS = ['issued', 'renewed', 'renewal-failed', 'deploy-failed', 'deploy-unverified', 'drift', 'expiring', 'renew-now', 'probe-unreachable'] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];

export interface LifecycleCondition {
  kind: ConditionKind;
  /** What it is about: `managed:NAME`, `managed:NAME:target:I` or `probe:NAME`. */
  subject: string;
  /** The managed certificate or probe, as an operator names it. */
  name: string;
  /** Days left, for `expiring` (one notification per threshold). */
  threshold?: number;
  /** For one-shot events: what makes this one distinct (the revision and its serial). */
  instance?: string;
  /** Plain words: what happened (never a secret). */
  detail: string;
}

/** Raised conditions are told once until cleared; a cleared failure is told as resolved. */
export interface LifecycleEvents {
  /** Records the condition (in the caller's transaction when there is one); a raised one again is a no-op. */
  raise(condition: LifecycleCondition): Promise<void>;
  /** Clears every raised condition of `kind` on `subject`; `detail` says how it resolved. */
  clear(condition: Omit<LifecycleCondition, 'threshold' | 'instance'>): Promise<void>;
}

/** Days left at which `expiring` is told: one notification per threshold crossed. */
const EXPIRING_THRESHOLDS = [30, 14, 7, 1] as const;
const DAY_MS = 86_400_000;

/**
 * The tightest threshold crossed at `now`, or undefined. A threshold counts only when it is under
 * half the certificate's lifetime, so a short-lived certificate (6 or 7 days) is not reported as
 * expiring from the day it is issued: its renewal is what matters, and `renewal-failed` tells that.
 */
export function expiringThreshold(cert: { notBefore: number; notAfter: number }, now: number): number | undefined {
  const left = (cert.notAfter - now) / DAY_MS;
  const halfLife = (cert.notAfter - cert.notBefore) / DAY_MS / 2;
  let hit: number | undefined;
  for (const t of EXPIRING_THRESHOLDS) if (left <= t && t < halfLife) hit = t;
  return hit;
}

/** Whole days left, for messages (0 on the last day, negative once expired). */
export function daysLeft(notAfter: number, now: number): number {
  return Math.floor((notAfter - now) / DAY_MS);
}
