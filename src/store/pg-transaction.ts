import type postgres from 'postgres';
import type { Transaction } from './db.ts';
import type { PgStatements } from './sql-text.ts';

/**
 * The transaction's id and the timeline of the server that assigned it, asked for in the same
 * round trip as the first statement that may write (pipelined behind it). The id is assigned
 * lazily by the first write, so a transaction that never gets one wrote nothing. The timeline
 * (the first 8 hex digits of a WAL file name) tells a later check whether a failover happened.
 */
const PROBE_SQL = `SELECT x::text AS xid,
  CASE WHEN x IS NULL THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS timeline
  FROM pg_current_xact_id_if_assigned() AS t(x)`;

/** The fate of an id, asked after reconnecting; 'future' when the server has not assigned it yet. */
const STATUS_SQL = `SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS timeline,
  CASE WHEN $1::xid8 >= pg_snapshot_xmax(pg_current_snapshot()) THEN 'future' ELSE pg_xact_status($1::xid8) END AS status`;

/**
 * postgres.js sends a query without parameters as a simple query, never prepared; `simple: false`
 * (read by postgres.js, missing from its types) makes the probe a prepared statement like the rest.
 */
const PREPARED_WITHOUT_PARAMETERS = { prepare: true, simple: false } as postgres.UnsafeQueryOptions;

const IN_PROGRESS_POLLS = 20;
const IN_PROGRESS_POLL_MS = 100;

export type CommitOutcome = 'committed' | 'not-committed' | 'unknown';


type Bind = (value: unknown) => unknown;

/** One run of a transaction callback: what it returned and what is known about its commit. */
export class TransactionAttempt<T> {
  /** Set once the callback resolved: from here on a broken connection leaves the outcome open. */
  committing = false;
  result: T | undefined;
  xid: string | null = null;
  timeline: string | null = null;
  private lastProbe: Promise<void> = Promise.resolve();
  private probing = false;
  /** Writes sent so far, and how many of them the last probe was queued behind. */
  private writes = 0;
  private probedWrites = 0;
  private probeError: unknown;

  constructor(private readonly statements: PgStatements, private readonly bind: Bind) {}

  /** The body handed to `sql.begin`: runs `fn`, waits for the last id probe, then lets postgres.js COMMIT. */
  async run(txSql: postgres.TransactionSql, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const result = await fn(this.transaction(txSql));
    await this.lastProbe;
    // A write sent while a probe was in flight had no probe of its own: when that probe found no
    // id, ask once more, behind the last write.
    if (this.xid === null && this.probeError === undefined && this.probedWrites < this.writes) {
      this.sendProbe(txSql);
      await this.lastProbe;
    }
    // Without the probe's answer the id is unknown: no COMMIT then (postgres.js rolls back and
    // reports the failed statement's own error when there was one).
    if (this.probeError !== undefined) throw this.probeError;
    this.result = result;
    this.committing = true;
    return result;
  }

  private transaction(txSql: postgres.TransactionSql): Transaction {
    const send = (text: string, params: readonly unknown[]) => {
      const st = this.statements.get(text);
      const pending = txSql.unsafe(st.text, params.map(this.bind) as postgres.ParameterOrJSON<never>[], { prepare: true });
      if (!st.readOnly) this.probeAfter(txSql, pending);
      return pending;
    };
    return {
      query: async <R>(text: string, params: readonly unknown[] = []) => Array.from(await send(text, params)) as R[],
      exec: async (text: string, params: readonly unknown[] = []) => (await send(text, params)).count,
      execScript: async (script: string) => {
        const pending = txSql.unsafe(script);
        this.probeAfter(txSql, pending);
        await pending;
      },
    };
  }

  /**
   * Queues the id probe right behind `pending` (same write to the socket), until an id is known.
   * While one probe is in flight no other is sent: statements run in order, so a write after it
   * is either covered by its answer (an id) or by the final probe in `run`.
   */
  private probeAfter(txSql: postgres.TransactionSql, pending: { execute(): unknown }): void {
    if (this.xid !== null) return;
    this.writes += 1;
    // postgres.js sends a query when it is first awaited; start the statement before its probe.
    pending.execute();
    if (!this.probing) this.sendProbe(txSql);
  }

  private sendProbe(txSql: postgres.TransactionSql): void {
    this.probing = true;
    this.probedWrites = this.writes;
    const probe = txSql.unsafe<Array<{ xid: string | null; timeline: string | null }>>(PROBE_SQL, [], PREPARED_WITHOUT_PARAMETERS);
    this.lastProbe = probe.then(
      (rows) => {
        this.probing = false;
        if (rows[0]?.xid == null) return;
        this.xid = rows[0].xid;
        this.timeline = rows[0].timeline;
      },
      (err: unknown) => {
        this.probing = false;
        this.probeError ??= err;
      },
    );
  }
}

/**
 * What became of a transaction whose COMMIT was sent but not answered, asked on a fresh pool.
 * On the same timeline the server's record is authoritative ('in progress' means the old backend
 * is still finishing, e.g. waiting for a synchronous standby: polled briefly). After a failover
 * the new primary shares the id space, but an id it never replayed may since have been given to
 * another transaction: there only 'aborted' and 'future' are conclusive (our writes are not on it).
 */
export async function commitOutcome(sql: postgres.Sql, xid: string, timeline: string | null): Promise<CommitOutcome> {
  for (let poll = 0; poll < IN_PROGRESS_POLLS; poll++) {
    let row: { timeline: string; status: string | null } | undefined;
    try {
      [row] = await sql.unsafe<Array<{ timeline: string; status: string | null }>>(STATUS_SQL, [xid], { prepare: true });
    } catch {
      return 'unknown';
    }
    if (row === undefined) return 'unknown';
    if (row.status === 'aborted' || row.status === 'future') return 'not-committed';
    if (row.timeline !== timeline) return 'unknown';
    if (row.status === 'committed') return 'committed';
    if (row.status !== 'in progress') return 'unknown';
    await new Promise((resolve) => setTimeout(resolve, IN_PROGRESS_POLL_MS));
  }
  return 'unknown';
}
