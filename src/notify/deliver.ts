/**
 * Delivery of the outbox, at least once: each queued message has a durable `notify-deliver` job
 * (queued with it, in the same transaction). A failed attempt is recorded on the message (attempts,
 * last error) and the job runs again with the queue's backoff. The `notify` duty is the backstop: a
 * message whose job gave up is queued again, so nothing is dropped until it is delivered (or its
 * channel is removed); delivered messages are pruned after a week.
 */
import type { Logger } from 'pino';
import type { Kek } from '../kek/kek.ts';
import { channelSecret } from './channels.ts';
import { send } from './send.ts';
import type { NotifyStore } from './store.ts';

export const NOTIFY_JOB = 'notify-deliver';
/** Attempts per job: backoff 1 s, 2 s, 4 s … (src/jobs/queue.ts), about 17 min in all before the duty takes over. */
export const NOTIFY_JOB_ATTEMPTS = 11;
/** A message not tried for this long has no live job: the duty queues it again. */
const STALLED_MS = 30 * 60_000;
const DELIVERED_RETENTION_MS = 7 * 86_400_000;
/** One delivery attempt (SMTP conversation or webhook POST) gives up after this long. */
export const NOTIFY_TIMEOUT_MS = 15_000;

export interface DeliverDeps {
  store: NotifyStore;
  kek: Kek;
  now: () => number;
  log: Logger;
  timeoutMs: number;
}

/** The `notify-deliver` job: sends message `id`; throws (to be retried) when the channel fails. */
export async function deliverMessage(deps: DeliverDeps, id: string): Promise<void> {
  const entry = await deps.store.outboxEntry(id);
  if (!entry || entry.deliveredAt !== undefined) return;
  const channel = await deps.store.channel(entry.channel);
  if (!channel) return;
  try {
    await send(channel, await channelSecret(deps, channel.name), entry.message, deps);
  } catch (err) {
    const error = (err as Error).message;
    await deps.store.recordFailure(id, error, deps.now());
    deps.log.warn({ channel: channel.name, kind: entry.message.kind, attempts: entry.attempts + 1, error }, 'notification not delivered; will retry');
    throw err;
  }
  await deps.store.markDelivered(id, deps.now());
  deps.log.info({ channel: channel.name, kind: entry.message.kind, name: entry.message.name }, 'notification delivered');
}

/** The `notify` duty: queue stalled messages again and prune delivered ones. */
export async function runNotifyDuty(deps: Pick<DeliverDeps, 'store' | 'now' | 'log'>): Promise<{ requeued: number; pruned: number }> {
  const now = deps.now();
  const stalled = await deps.store.stalled(now - STALLED_MS, 200);
  // Keyed by the stall period too: a job that died without recording its attempt (a crash, a lost
  // database) leaves its key taken, and the message must still get a new job next period.
  const period = Math.floor(now / STALLED_MS);
  for (const e of stalled) await deps.store.requeue(e.id, e.channel, `${NOTIFY_JOB}:${e.id}:${e.attempts}:${period}`);
  const pruned = await deps.store.pruneDelivered(now - DELIVERED_RETENTION_MS);
  if (stalled.length + pruned > 0) deps.log.info({ requeued: stalled.length, pruned }, 'notify duty done');
  return { requeued: stalled.length, pruned };
}
