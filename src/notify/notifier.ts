/**
 * Lifecycle events turned into queued messages: what sits behind lifecycle's `LifecycleEvents`
 * port. A condition is recorded once (its key is the dedup), one outbox row per channel that
 * listens to its kind is queued with its delivery job, all in the caller's transaction, so a
 * crash loses nothing and a retried renewal tells nothing twice.
 */
import { randomBytes } from 'node:crypto';
import type { LifecycleCondition } from '../lifecycle/events.ts';
import { conditionKey, isOneShot, listensTo, toldWhenResolved } from './conditions.ts';
import { messageFor } from './messages.ts';
import type { NotifyStore } from './store.ts';
import type { Phase } from './types.ts';

export class Notifier {
  constructor(private readonly now: () => number) {}

  async raise(store: NotifyStore, c: LifecycleCondition): Promise<void> {
    await store.transaction(async (s) => {
      const key = conditionKey(c);
      // One-shot events are deduplicated by their outbox ids; conditions by their row.
      if (isOneShot(c.kind)) return this.queue(s, c, 'raised', (channel) => `${key}:${channel}`);
      if (!(await s.insertCondition(key, c.kind, c.subject, this.now()))) return;
      await this.queue(s, c, 'raised', () => randomBytes(12).toString('base64url'));
    });
  }

  async clear(store: NotifyStore, c: Omit<LifecycleCondition, 'threshold' | 'instance'>): Promise<void> {
    await store.transaction(async (s) => {
      const cleared = await s.deleteConditions(c.kind, c.subject);
      if (cleared > 0 && toldWhenResolved(c.kind)) await this.queue(s, c, 'resolved', () => randomBytes(12).toString('base64url'));
    });
  }

  private async queue(s: NotifyStore, c: Omit<LifecycleCondition, 'threshold' | 'instance'>, phase: Phase, idFor: (channel: string) => string): Promise<void> {
    const now = this.now();
    const message = messageFor(c, phase, now);
    for (const ch of await s.channels()) {
      if (listensTo(ch.events, c.kind)) await s.enqueue({ id: idFor(ch.name), channel: ch.name, message, createdAt: now });
    }
  }
}
