import type { Queryable } from '../store/db.ts';
import { RECORD_COLS, toRecord, type AuditAction, type AuditRecord, type AuditRow } from './chain.ts';

export interface AuditFilter {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  actor?: string;
  action?: AuditAction;
  nodeId?: string;
  limit: number;
}

/** Records matching every given filter, newest first. */
export async function listRecords(q: Queryable, filter: AuditFilter): Promise<AuditRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown): void => {
    where.push(clause);
    params.push(value);
  };
  if (filter.since !== undefined) add('time >= ?', filter.since);
  if (filter.until !== undefined) add('time < ?', filter.until);
  if (filter.actor !== undefined) add('actor = ?', filter.actor);
  if (filter.action !== undefined) add('action = ?', filter.action);
  if (filter.nodeId !== undefined) add('node_id = ?', filter.nodeId);
  const rows = await q.query<AuditRow>(
    `SELECT ${RECORD_COLS} FROM audit_records ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, node_id, seq DESC LIMIT ?`,
    [...params, filter.limit],
  );
  return rows.map(toRecord);
}
