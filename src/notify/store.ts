import type { AuditEvent } from '../audit/log.ts';
import type { ConditionKind } from '../lifecycle/events.ts';
import type { Channel, NewChannel, OutboxEntry } from './types.ts';

/**
 * The notify domain's storage (src/store/notify-store.ts). A store bound to a transaction runs
 * every call in it, so a condition, its outbox rows and their delivery jobs commit with the
 * lifecycle change that raised them.
 */
export interface NotifyStore {
  /** Runs `fn` in a transaction, or in the one this store is already bound to. */
  transaction<T>(fn: (store: NotifyStore) => Promise<T>): Promise<T>;
  audit(event: AuditEvent): Promise<void>;

  /** False when the name is taken. */
  insertChannel(c: NewChannel): Promise<boolean>;
  channel(name: string): Promise<Channel | undefined>;
  channels(): Promise<Channel[]>;
  channelSecret(name: string): Promise<Buffer | undefined>;
  /** Deletes the channel and its undelivered messages; false when it did not exist. */
  deleteChannel(name: string): Promise<boolean>;

  /** Records a raised condition; false when it is raised already (the dedup). */
  insertCondition(key: string, kind: ConditionKind, subject: string, now: number): Promise<boolean>;
  /** Deletes the raised conditions of `kind` on `subject`; returns how many went. */
  deleteConditions(kind: ConditionKind, subject: string): Promise<number>;

  /** Queues a message for a channel and its delivery job; false when `id` is queued already. */
  enqueue(entry: Pick<OutboxEntry, 'id' | 'channel' | 'message' | 'createdAt'>): Promise<boolean>;
  outboxEntry(id: string): Promise<OutboxEntry | undefined>;
  /** The newest messages, delivered or not. */
  outbox(limit: number): Promise<OutboxEntry[]>;
  markDelivered(id: string, now: number): Promise<void>;
  recordFailure(id: string, error: string, now: number): Promise<void>;
  /** Undelivered messages whose last attempt (or creation) is older than `before`: their job gave up. */
  stalled(before: number, limit: number): Promise<OutboxEntry[]>;
  /** Queues the delivery job of `id` again (idempotency key `key`). */
  requeue(id: string, channel: string, key: string): Promise<void>;
  /** Deletes delivered messages older than `before`; returns how many. */
  pruneDelivered(before: number): Promise<number>;
}
