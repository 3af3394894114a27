import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConditionKind, LifecycleCondition } from '../lifecycle/events.ts';
import { conditionKey, listensTo } from './conditions.ts';
import { Notifier } from './notifier.ts';
import type { NotifyStore } from './store.ts';
import type { Channel, OutboxEntry } from './types.ts';

test('dedup keys name the kind, the subject, and the threshold or instance', () => {
  const base = { subject: 'managed:web' };
  assert.equal(conditionKey({ ...base, kind: 'renewal-failed' }), 'renewal-failed:managed:web');
  assert.equal(conditionKey({ ...base, kind: 'expiring', threshold: 14 }), 'expiring:managed:web:14d');
  assert.notEqual(conditionKey({ ...base, kind: 'expiring', threshold: 14 }), conditionKey({ ...base, kind: 'expiring', threshold: 7 }));
  assert.equal(conditionKey({ ...base, kind: 'renewed', instance: 'r3' }), 'renewed:managed:web:r3');
  assert.equal(conditionKey({ subject: 'managed:web:target:0', kind: 'deploy-failed' }), 'deploy-failed:managed:web:target:0');
  assert.ok(listensTo([], 'drift'), 'no filter: every event');
  assert.ok(!listensTo(['renewal-failed'], 'renewed'));
});

/** The outbox and conditions in memory: what the notifier does with them. */
function memoryStore(channels: Channel[]): NotifyStore & { queued: Array<Pick<OutboxEntry, 'id' | 'channel' | 'message'>> } {
  const conditions = new Map<string, { kind: ConditionKind; subject: string }>();
  const queued: Array<Pick<OutboxEntry, 'id' | 'channel' | 'message'>> = [];
  const unused = (): never => {
    throw new Error('not used here');
  };
  const store = {
    queued,
    transaction: <T>(fn: (s: NotifyStore) => Promise<T>): Promise<T> => fn(store),
    channels: async () => channels,
    insertCondition: async (key: string, kind: ConditionKind, subject: string) => {
      if (conditions.has(key)) return false;
      conditions.set(key, { kind, subject });
      return true;
    },
    deleteConditions: async (kind: ConditionKind, subject: string) => {
      let n = 0;
      for (const [k, c] of conditions) if (c.kind === kind && c.subject === subject && conditions.delete(k)) n += 1;
      return n;
    },
    enqueue: async (e: Pick<OutboxEntry, 'id' | 'channel' | 'message'>) => {
      if (queued.some((q) => q.id === e.id)) return false;
      queued.push(e);
      return true;
    },
    audit: unused, insertChannel: unused, channel: unused, channelSecret: unused, deleteChannel: unused, outboxEntry: unused, outbox: unused,
    markDelivered: unused, recordFailure: unused, stalled: unused, requeue: unused, pruneDelivered: unused,
  };
  return store;
}

const channel = (name: string, events: ConditionKind[] = []): Channel => ({ name, kind: 'slack', events, createdAt: 0 });

test('a condition raised several times is queued once per channel; clearing a failure queues "resolved" once', async () => {
  const store = memoryStore([channel('all'), channel('renewals-only', ['renewed'])]);
  const notifier = new Notifier(() => 1_000);
  const failed: LifecycleCondition = { kind: 'renewal-failed', subject: 'managed:web', name: 'web', detail: 'upstream unreachable (ECONNREFUSED)' };
  for (let i = 0; i < 3; i++) await notifier.raise(store, failed);
  assert.equal(store.queued.length, 1, 'one message for the one listening channel, despite three failures');
  assert.equal(store.queued[0]?.channel, 'all');
  assert.match(store.queued[0]?.message.text ?? '', /could not renew the managed certificate web: upstream unreachable.*managed renew web --now/);
  await notifier.clear(store, { ...failed, detail: 'renewed (revision 1)' });
  await notifier.clear(store, { ...failed, detail: 'renewed (revision 1)' });
  assert.equal(store.queued.length, 2, 'resolved once');
  assert.equal(store.queued[1]?.message.phase, 'resolved');
  assert.match(store.queued[1]?.message.title ?? '', /web: resolved/);
  await notifier.raise(store, failed);
  assert.equal(store.queued.length, 3, 'raised again after it cleared');
});

test('one-shot events are told once per instance; expiring clears silently', async () => {
  const store = memoryStore([channel('all')]);
  const notifier = new Notifier(() => 1_000);
  const renewed: LifecycleCondition = { kind: 'renewed', subject: 'managed:web', name: 'web', instance: 'r2', detail: 'revision 2' };
  await notifier.raise(store, renewed);
  await notifier.raise(store, renewed);
  await notifier.raise(store, { ...renewed, instance: 'r3' });
  assert.equal(store.queued.length, 2);
  const expiring: LifecycleCondition = { kind: 'expiring', subject: 'managed:web', name: 'web', threshold: 30, detail: '29 days left' };
  await notifier.raise(store, expiring);
  await notifier.raise(store, { ...expiring, threshold: 14 });
  await notifier.raise(store, { ...expiring, threshold: 14 });
  assert.equal(store.queued.length, 4, 'one per threshold');
  await notifier.clear(store, { kind: 'expiring', subject: 'managed:web', name: 'web', detail: 'renewed' });
  assert.equal(store.queued.length, 4, 'no "resolved" for expiring');
});
