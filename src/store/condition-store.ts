import type { AuditEvent, AuditRecorder } from '../audit/log.ts';
import type { LifecycleCondition } from '../lifecycle/events.ts';
import type { Notifier } from '../notify/notifier.ts';
import { auditChainOn } from './audit-store.ts';
import type { Database, Queryable } from './db.ts';
import { SqlNotifyStore } from './notify-store.ts';

/**
 * What the lifecycle and probe stores share: a transaction that binds a copy of the store to it,
 * audit records in that transaction, and conditions raised or cleared in it (so a notification
 * is queued with the change that caused it, or not at all).
 */
export abstract class SqlConditionStore<S> {
  constructor(
    protected readonly db: Database, protected readonly q: Queryable = db, protected readonly recorder: AuditRecorder | undefined = undefined,
    /** Where raised and cleared conditions go (notifications, in this store's transaction); none: nowhere. */
    protected readonly events: Pick<Notifier, 'raise' | 'clear'> | undefined = undefined,
  ) {}

  /** This store on `tx`, with the same recorder and events. */
  protected abstract bound(tx: Queryable): S;

  transaction<T>(fn: (store: S) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(this.bound(tx)));
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.recorder?.record(auditChainOn(this.db, this.q), event);
  }

  async raise(condition: LifecycleCondition): Promise<void> {
    await this.events?.raise(new SqlNotifyStore(this.db, this.q), condition);
  }

  async clear(condition: Omit<LifecycleCondition, 'threshold' | 'instance'>): Promise<void> {
    await this.events?.clear(new SqlNotifyStore(this.db, this.q), condition);
  }
}
