/**
 * Dedup keys: a condition is told once until it clears. The key names the kind, what it is about,
 * and (for `expiring`) the threshold, so 30, 14, 7 and 1 days left are each told once; a one-shot
 * event's key names its instance (the revision), so a retried job tells it once too.
 */
import type { ConditionKind, LifecycleCondition } from '../lifecycle/events.ts';

/** Kinds told once per occurrence, never raised or cleared. */
const ONE_SHOT: ReadonlySet<ConditionKind> = new Set(['issued', 'renewed']);
/** Kinds whose clearing is told ("resolved"); `expiring` and `renew-now` just end with the renewal. */
const FAILURES: ReadonlySet<ConditionKind> = new Set(['renewal-failed', 'deploy-failed', 'deploy-unverified', 'drift', 'probe-unreachable']);

export const isOneShot = (kind: ConditionKind): boolean => ONE_SHOT.has(kind);
export const toldWhenResolved = (kind: ConditionKind): boolean => FAILURES.has(kind);

export function conditionKey(c: Pick<LifecycleCondition, 'kind' | 'subject' | 'threshold' | 'instance'>): string {
  const extra = c.kind === 'expiring' ? `:${c.threshold ?? 0}d` : c.instance === undefined ? '' : `:${c.instance}`;
  return `${c.kind}:${c.subject}${extra}`;
}

/** Whether a channel listening to `events` (empty: all) hears about `kind`. */
export const listensTo = (events: readonly ConditionKind[], kind: ConditionKind): boolean => events.length === 0 || events.includes(kind);
