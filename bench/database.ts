import { stat } from 'node:fs/promises';
import Sqlite from 'better-sqlite3';
import postgres from 'postgres';
import { startPgProxy, type PgWireCounts } from '../test/support/pg-proxy.ts';
import { listenerPid, processTreeCpuSeconds } from './proc.ts';

/** What Certainty asked of PostgreSQL during the measured load, and what it cost PostgreSQL. */
export interface DatabaseUse {
  /** Wire-protocol messages and round trips, counted by the proxy between the node and PostgreSQL. */
  readonly wire: PgWireCounts;
  /** CPU of the postmaster and all its children (backends, writers), null when not a local cluster. */
  readonly serverCpuSeconds: number | null;
  /** WAL bytes PostgreSQL wrote over the measurement (`pg_wal_lsn_diff`, the whole cluster), null if unreadable. */
  readonly walBytes: number | null;
}

/**
 * The wire-protocol proxy of test/support/pg-proxy.ts between Certainty and PostgreSQL, counting
 * every client message, and (for a local cluster listening on `localPort`) the cluster's CPU.
 */
export interface DatabaseMeter {
  /** The database URL to give Certainty: the proxy's. */
  readonly url: string;
  /** Starts a measurement; the returned function ends it and answers the difference. */
  begin(): Promise<() => Promise<DatabaseUse>>;
  close(): Promise<void>;
}

const minus = (a: PgWireCounts, b: PgWireCounts): PgWireCounts => ({
  query: a.query - b.query, parse: a.parse - b.parse, bind: a.bind - b.bind,
  execute: a.execute - b.execute, sync: a.sync - b.sync, roundTrips: a.roundTrips - b.roundTrips,
});

export async function startDatabaseMeter(databaseUrl: string, localPort: number | undefined): Promise<DatabaseMeter> {
  const proxy = await startPgProxy(databaseUrl);
  const postmaster = localPort === undefined ? undefined : await listenerPid(localPort);
  const cpu = async (): Promise<number | null> => (postmaster === undefined ? null : processTreeCpuSeconds(postmaster));
  // Straight to PostgreSQL, not through the proxy, so these two reads are not counted as the node's.
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  const lsn = async (): Promise<string | null> =>
    sql<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`.then((r) => r[0]?.lsn ?? null, () => null);
  return {
    url: proxy.url,
    async begin() {
      const [wireBefore, cpuBefore, lsnBefore] = [proxy.counts(), await cpu(), await lsn()];
      return async () => {
        const [wireAfter, cpuAfter] = [proxy.counts(), await cpu()];
        const walBytes = lsnBefore === null ? null : await sql<{ bytes: string }[]>`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsnBefore}::pg_lsn)::text AS bytes`
          .then((r) => Number(r[0]?.bytes), () => null);
        return { wire: minus(wireAfter, wireBefore), serverCpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore, walBytes };
      };
    },
    close: async () => {
      await sql.end({ timeout: 5 });
      await proxy.close();
    },
  };
}

/** How a SQLite database file grew over the measured load. */
export interface SqliteGrowth {
  /** Growth of the pages in use (page_count - freelist_count, times page_size): rows and indexes kept. */
  readonly databaseBytes: number;
  /** Size of the -wal file at the end (it is reused after each checkpoint, so this bounds, not sums, the WAL writes). */
  readonly walFileBytes: number;
}

/** Pages in use, read through a short-lived read-only connection of its own (the server's are untouched). */
function sqliteBytesInUse(file: string): number {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    const get = (pragma: string): number => Number(db.pragma(pragma, { simple: true }));
    return (get('page_count') - get('freelist_count')) * get('page_size');
  } finally {
    db.close();
  }
}

/** Starts measuring the growth of SQLite database `file` (the server's data directory's certainty.db). */
export function beginSqliteGrowth(file: string): () => Promise<SqliteGrowth> {
  const before = sqliteBytesInUse(file);
  return async () => ({
    databaseBytes: sqliteBytesInUse(file) - before,
    walFileBytes: await stat(`${file}-wal`).then((s) => s.size, () => 0),
  });
}
