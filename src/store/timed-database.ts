import type { Database, Transaction } from './db.ts';

/** Where statement latencies go (the node's metrics): one call per statement or whole transaction. */
export interface StatementReport {
  statementFinished(op: 'query' | 'exec' | 'transaction', seconds: number): void;
}

/** A database that also says how many statements and transactions are running on it now. */
export interface TimedDatabase extends Database {
  /** Compared with the pool size, tells whether work waits for a connection. */
  readonly inFlight: number;
}

/**
 * `db`, timing each statement run outside a transaction and each transaction as a whole (its
 * statements are not timed one by one). Costs two clock reads and a call per statement.
 */
export function timedDatabase(db: Database, report: StatementReport): TimedDatabase {
  let inFlight = 0;
  const timed = async <T>(op: 'query' | 'exec' | 'transaction', run: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    inFlight += 1;
    try {
      return await run();
    } finally {
      inFlight -= 1;
      report.statementFinished(op, (performance.now() - t) / 1000);
    }
  };
  return {
    get inFlight() {
      return inFlight;
    },
    dialect: db.dialect,
    query: (sql, params) => timed('query', () => db.query(sql, params)),
    exec: (sql, params) => timed('exec', () => db.exec(sql, params)),
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) => timed('transaction', () => db.transaction(fn)),
    writable: () => db.writable(),
    close: () => db.close(),
  };
}
