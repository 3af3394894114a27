/**
 * Which lifecycle changes raise or clear which conditions (src/lifecycle/events.ts), each called
 * in the transaction that records the change, so the notification commits with it.
 */
import { daysLeft, expiringThreshold, type LifecycleEvents } from './events.ts';
import type { LifecycleStore } from './store.ts';

const managed = (name: string): string => `managed:${name}`;

/** A new revision: told as issued (the first) or renewed; a failed renewal, ARI's "renew now" and `expiring` end. */
export async function renewedConditions(events: LifecycleEvents, name: string, revision: number, serial: string, notAfter: number): Promise<void> {
  const valid = `serial ${serial}, valid until ${new Date(notAfter).toISOString()}`;
  await events.raise({ kind: revision === 1 ? 'issued' : 'renewed', subject: managed(name), name, instance: `r${revision}-${serial}`, detail: `revision ${revision}, ${valid}` });
  await events.clear({ kind: 'renewal-failed', subject: managed(name), name, detail: `renewed (revision ${revision}, ${valid})` });
  await events.clear({ kind: 'renew-now', subject: managed(name), name, detail: `renewed (revision ${revision})` });
  await events.clear({ kind: 'expiring', subject: managed(name), name, detail: `renewed (revision ${revision})` });
}

/** A failed attempt: told once, however many attempts fail, until a renewal succeeds. */
export async function renewalFailedCondition(events: LifecycleEvents, name: string, detail: string, nextTry: number): Promise<void> {
  await events.raise({ kind: 'renewal-failed', subject: managed(name), name, detail: `${detail} (next try ${new Date(nextTry).toISOString()})` });
}

/** The CA's ARI window has begun or passed: it asks for a renewal now (RFC 9773 §4.2). */
export async function renewNowCondition(events: LifecycleEvents, name: string, windowStart: number, explanationUrl: string | undefined): Promise<void> {
  const why = explanationUrl === undefined ? '' : `; the CA explains why at ${explanationUrl}`;
  await events.raise({ kind: 'renew-now', subject: managed(name), name, detail: `its suggested renewal window began ${new Date(windowStart).toISOString()}${why}` });
}

/** A deploy to target `target` failed, could not be verified, or (`failed` undefined) succeeded. */
export async function deployConditions(events: LifecycleEvents, name: string, target: number, outcome: { failed?: string; unverified?: string }): Promise<void> {
  const subject = `${managed(name)}:target:${target}`;
  const who = `${name} (target ${target})`;
  if (outcome.failed !== undefined) return events.raise({ kind: 'deploy-failed', subject, name: who, detail: outcome.failed });
  await events.clear({ kind: 'deploy-failed', subject, name: who, detail: 'deployed' });
  if (outcome.unverified !== undefined) return events.raise({ kind: 'deploy-unverified', subject, name: who, detail: outcome.unverified });
  await events.clear({ kind: 'deploy-unverified', subject, name: who, detail: 'the endpoint serves the new certificate' });
}

/** `expiring` at the tightest threshold crossed (30, 14, 7, 1 days); false when none is. */
async function expiringCondition(events: Pick<LifecycleEvents, 'raise'>, subject: string, name: string, cert: { serial: string; notBefore: number; notAfter: number }, now: number): Promise<boolean> {
  const threshold = expiringThreshold(cert, now);
  if (threshold === undefined) return false;
  const left = daysLeft(cert.notAfter, now);
  const until = new Date(cert.notAfter).toISOString();
  await events.raise({ kind: 'expiring', subject, name, threshold, detail: `serial ${cert.serial}, ${left < 0 ? `expired ${until}` : `${left} day(s) left, until ${until}`}` });
  return true;
}

/** The managed certificates' side of `expiring`, from their current revisions' notAfter (the lifecycle duty). */
export async function managedExpiring(store: Pick<LifecycleStore, 'currentExpiries' | 'raise'>, now: number): Promise<number> {
  let raised = 0;
  for (const c of await store.currentExpiries()) if (await expiringCondition(store, managed(c.name), c.name, c, now)) raised += 1;
  return raised;
}
