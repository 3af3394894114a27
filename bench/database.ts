import { startPgProxy, type PgWireCounts } from '../test/support/pg-proxy.ts';
import { listenerPid, processTreeCpuSeconds } from './proc.ts';

/** What Certainty asked of PostgreSQL during the measured load, and what it cost PostgreSQL. */
export interface DatabaseUse {
  /** Wire-protocol messages and round trips, counted by the proxy between the node and PostgreSQL. */
  readonly wire: PgWireCounts;
  /** CPU of the postmaster and all its children (backends, writers), null when not a local cluster. */
  readonly serverCpuSeconds: number | null;
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
  return {
    url: proxy.url,
    async begin() {
      const [wireBefore, cpuBefore] = [proxy.counts(), await cpu()];
      return async () => {
        const [wireAfter, cpuAfter] = [proxy.counts(), await cpu()];
        return { wire: minus(wireAfter, wireBefore), serverCpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
      };
    },
    close: () => proxy.close(),
  };
}
