import type { AuditEvent, AuditRecorder } from '../audit/log.ts';
import type { ConditionKind } from '../lifecycle/events.ts';
import { NOTIFY_JOB, NOTIFY_JOB_ATTEMPTS } from '../notify/deliver.ts';
import type { NotifyStore } from '../notify/store.ts';
import type { Channel, ChannelConfig, Message, NewChannel, OutboxEntry } from '../notify/types.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';
import { SqlJobStore } from './job-store.ts';

interface ChannelRow { name: string; kind: string; config: string; events: string; created_at: number | string }
interface OutboxRow {
  id: string; channel: string; message: string; attempts: number | string; last_error: string | null;
  created_at: number | string; delivered_at: number | string | null;
}

const CHANNEL_COLS = 'name, kind, config, events, created_at';
const OUTBOX_COLS = 'id, channel, message, attempts, last_error, created_at, delivered_at';

/** The public half of a channel's settings, as stored in `config` (never its secret). */
function configOf(c: Channel): Record<string, unknown> {
  return c.kind === 'email' ? { email: c.email } : c.kind === 'webhook' ? { webhook: c.webhook } : {};
}

function toChannel(r: ChannelRow): Channel {
  const config = { kind: r.kind, ...(JSON.parse(r.config) as object) } as ChannelConfig;
  return { ...config, name: r.name, events: JSON.parse(r.events) as ConditionKind[], createdAt: Number(r.created_at) };
}

function toEntry(r: OutboxRow): OutboxEntry {
  return {
    id: r.id, channel: r.channel, message: JSON.parse(r.message) as Message, attempts: Number(r.attempts), lastError: r.last_error ?? undefined,
    createdAt: Number(r.created_at), deliveredAt: r.delivered_at === null ? undefined : Number(r.delivered_at),
  };
}

/** The notification tables (migration 12); see src/notify/store.ts. */
export class SqlNotifyStore implements NotifyStore {
  constructor(private readonly db: Database, private readonly q: Queryable = db, private readonly recorder: AuditRecorder | undefined = undefined) {}

  transaction<T>(fn: (store: NotifyStore) => Promise<T>): Promise<T> {
    // Bound to a transaction already (a lifecycle change's): join it.
    if (this.q !== this.db) return fn(this);
    return this.db.transaction((tx) => fn(new SqlNotifyStore(this.db, tx, this.recorder)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async insertChannel({ channel: c, secretWrapped }: NewChannel): Promise<boolean> {
    const n = await this.q.exec(
      'INSERT INTO notification_channels (name, kind, config, events, secret_wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [c.name, c.kind, JSON.stringify(configOf(c)), JSON.stringify(c.events), secretWrapped ?? null, c.createdAt],
    );
    return n === 1;
  }

  async channel(name: string): Promise<Channel | undefined> {
    const [row] = await this.q.query<ChannelRow>(`SELECT ${CHANNEL_COLS} FROM notification_channels WHERE name = ?`, [name]);
    return row && toChannel(row);
  }

  async channels(): Promise<Channel[]> {
    return (await this.q.query<ChannelRow>(`SELECT ${CHANNEL_COLS} FROM notification_channels ORDER BY name`)).map(toChannel);
  }

  async channelSecret(name: string): Promise<Buffer | undefined> {
    const [row] = await this.q.query<{ w: unknown }>('SELECT secret_wrapped AS w FROM notification_channels WHERE name = ?', [name]);
    return row?.w === null || row?.w === undefined ? undefined : Buffer.from(row.w as Buffer);
  }

  async deleteChannel(name: string): Promise<boolean> {
    await this.q.exec('DELETE FROM notification_outbox WHERE channel = ? AND delivered_at IS NULL', [name]);
    return (await this.q.exec('DELETE FROM notification_channels WHERE name = ?', [name])) === 1;
  }

  async insertCondition(key: string, kind: ConditionKind, subject: string, now: number): Promise<boolean> {
    const n = await this.q.exec('INSERT INTO notification_conditions (key, kind, subject, raised_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [key, kind, subject, now]);
    return n === 1;
  }

  deleteConditions(kind: ConditionKind, subject: string): Promise<number> {
    return this.q.exec('DELETE FROM notification_conditions WHERE kind = ? AND subject = ?', [kind, subject]);
  }

  /**
   * Forgets every raised condition of a subject that was removed (a managed certificate, a probe),
   * silently: one added again under its name starts with none, so its first problem is told.
   */
  forgetSubject(subject: string): Promise<number> {
    return this.q.exec('DELETE FROM notification_conditions WHERE subject = ?', [subject]);
  }

  async enqueue(e: Pick<OutboxEntry, 'id' | 'channel' | 'message' | 'createdAt'>): Promise<boolean> {
    const n = await this.q.exec(
      'INSERT INTO notification_outbox (id, channel, kind, message, attempts, created_at) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING',
      [e.id, e.channel, e.message.kind, JSON.stringify(e.message), e.createdAt],
    );
    if (n === 1) await this.requeue(e.id, e.channel, `${NOTIFY_JOB}:${e.id}`);
    return n === 1;
  }

  async outboxEntry(id: string): Promise<OutboxEntry | undefined> {
    const [row] = await this.q.query<OutboxRow>(`SELECT ${OUTBOX_COLS} FROM notification_outbox WHERE id = ?`, [id]);
    return row && toEntry(row);
  }

  async outbox(limit: number): Promise<OutboxEntry[]> {
    return (await this.q.query<OutboxRow>(`SELECT ${OUTBOX_COLS} FROM notification_outbox ORDER BY created_at DESC, id LIMIT ?`, [limit])).map(toEntry);
  }

  async markDelivered(id: string, now: number): Promise<void> {
    await this.q.exec('UPDATE notification_outbox SET delivered_at = ?, attempts = attempts + 1, last_attempt_at = ? WHERE id = ? AND delivered_at IS NULL', [now, now, id]);
  }

  async recordFailure(id: string, error: string, now: number): Promise<void> {
    await this.q.exec('UPDATE notification_outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ? WHERE id = ? AND delivered_at IS NULL', [error.slice(0, 1000), now, id]);
  }

  async stalled(before: number, limit: number): Promise<OutboxEntry[]> {
    const rows = await this.q.query<OutboxRow>(
      `SELECT ${OUTBOX_COLS} FROM notification_outbox WHERE delivered_at IS NULL AND COALESCE(last_attempt_at, created_at) < ? ORDER BY created_at LIMIT ?`,
      [before, limit],
    );
    return rows.map(toEntry);
  }

  async requeue(id: string, channel: string, key: string): Promise<void> {
    await new SqlJobStore(this.db, this.q).enqueue(NOTIFY_JOB, { id }, { idempotencyKey: key, maxAttempts: NOTIFY_JOB_ATTEMPTS, fairKey: `notify:${channel}` });
  }

  pruneDelivered(before: number): Promise<number> {
    return this.q.exec('DELETE FROM notification_outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?', [before]);
  }
}
