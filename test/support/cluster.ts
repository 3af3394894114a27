import { randomBytes } from 'node:crypto';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { startCertainty, type CertaintyServer } from './certainty.ts';
import { freePort } from './free-port.ts';
import { startHaproxy, type Haproxy } from './haproxy.ts';
import { httpRequest } from '../../src/http-client.ts';
import { startPostgres, type PgCluster } from './postgres.ts';
import { onProcessExit } from './process.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface ClusterOptions {
  /** Number of `certainty serve` processes; default 3. */
  readonly nodes?: number;
  /** PostgreSQL to create the database in; a throwaway cluster owned by this cluster when omitted. */
  readonly pg?: PgCluster;
  /** Use this URL as is (e.g. a multi-host URL) instead of a fresh database in `pg`. */
  readonly databaseUrl?: string;
  readonly dnsAddress: string;
  readonly http01Port: number;
  readonly tlsAlpn01Port?: number;
  /** More variables for every node (`CERTAINTY_DRAIN_DELAY_MS`, `CERTAINTY_LEASE_TTL_MS`...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to a JSON file every node reads through `CERTAINTY_CONFIG` (e.g. rate limits). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** HAProxy mode (test/support/haproxy.ts); default `http`: plain HTTP front, TLS to the nodes. */
  readonly mode?: 'http' | 'tcp';
}

/** Shape of `certainty cluster status --json` (issue 4). */
export interface ClusterStatus {
  nodes: Array<{ id: string; address: string; version: string; startedAt: string; lastSeen: string; status: string; leases: string[] }>;
  leases: Array<{ name: string; holder: string; token: number | string; expiresAt: string }>;
  queue: { queued: number; running: number; failed: number; done: number };
}

/** N nodes on one database and one KEK, behind one HAProxy. */
export interface Cluster {
  readonly nodes: readonly CertaintyServer[];
  readonly haproxy: Haproxy;
  /** The front: `CERTAINTY_EXTERNAL_URL` of every node. */
  readonly frontUrl: string;
  readonly directoryUrl: string;
  readonly databaseUrl: string;
  readonly rootPem: string;
  readonly rootPemPath: string;
  readonly kekPath: string;
  /** HAProxy server name of node `i` (`node1`...). */
  backendName(i: number): string;
  /** Index of the node HAProxy calls `name`. */
  nodeIndex(name: string): number;
  /** Status of GET /readyz on node `i` directly; 0 when it does not answer. */
  readyz(i: number): Promise<number>;
  /** GET /healthz on node `i` directly (parsed JSON). */
  healthz(i: number): Promise<Record<string, unknown>>;
  /** Every running node answers /readyz 200 and HAProxy has every running node UP. */
  waitAllReady(timeoutMs?: number): Promise<void>;
  /** `certainty cluster status --json`, run with the environment of a running node. */
  statusJson(): Promise<ClusterStatus>;
  /** Sends `signal` to node `i`'s process (found by its listening port); SIGSTOPped nodes get SIGCONT at `stop()`. */
  signal(i: number, signal: 'SIGSTOP' | 'SIGCONT'): Promise<number>;
  /** A small postgres.js pool on the cluster's database, closed by `stop()`. */
  sql(): postgres.Sql;
  /** Tails of every node's log and HAProxy's, for failure messages. */
  logs(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

async function writeKek(path: string): Promise<void> {
  await writeFile(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
}

/**
 * Starts PostgreSQL (unless given), the first node alone (it migrates and creates the CA), the
 * others in parallel, then HAProxy in front, and waits until HAProxy sees every node UP.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const count = options.nodes ?? 3;
  const mode = options.mode ?? 'http';
  const dir = await makeTempDir('cluster');
  const forgetDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const ownedPg = options.pg === undefined && options.databaseUrl === undefined ? await startPostgres() : undefined;
  const pg = options.pg ?? ownedPg;
  const nodes: CertaintyServer[] = [];
  const paused = new Set<number>();
  let haproxy: Haproxy | undefined;
  let pool: postgres.Sql | undefined;
  const stop = async (): Promise<void> => {
    for (const pid of paused) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Already gone.
      }
    }
    await haproxy?.stop().catch(() => undefined);
    await Promise.all(nodes.map((n) => n.dispose().catch(() => undefined)));
    await pool?.end({ timeout: 5 }).catch(() => undefined);
    await ownedPg?.stop().catch(() => undefined);
    await removeDir(dir);
    forgetDir();
  };
  try {
    const databaseUrl = options.databaseUrl ?? (await (pg as PgCluster).createDatabase());
    const kekPath = join(dir, 'kek.key');
    await writeKek(kekPath);
    const frontPort = await freePort();
    const frontUrl = `${mode === 'http' ? 'http' : 'https'}://127.0.0.1:${frontPort}`;
    // Every client of a cluster test reaches the nodes from 127.0.0.1 through one HAProxy: lift the
    // per-address account limit the way an operator would for a trusted internal network.
    const env: Record<string, string> = {
      CERTAINTY_KEK_FILE: kekPath, CERTAINTY_EXTERNAL_URL: frontUrl,
      CERTAINTY_RATE_LIMIT_ACCOUNTS_PER_ADDRESS: '{"limit":100000,"windowSeconds":60}', ...options.env,
    };
    if (options.config !== undefined) {
      env['CERTAINTY_CONFIG'] = join(dir, 'config.json');
      await writeFile(env['CERTAINTY_CONFIG'], JSON.stringify(options.config));
    }
    const tlsAlpn01Port = options.tlsAlpn01Port ?? (await freePort());
    const start = (): Promise<CertaintyServer> =>
      startCertainty({ dnsAddress: options.dnsAddress, http01Port: options.http01Port, tlsAlpn01Port, databaseUrl, env });
    nodes.push(await start());
    const rest = await Promise.allSettled(Array.from({ length: count - 1 }, () => start()));
    for (const r of rest) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const first = nodes[0] as CertaintyServer;
    const rootPem = await readFile(first.rootPemPath, 'utf8');
    const backendName = (i: number): string => `node${i + 1}`;
    const proxy = await startHaproxy({
      mode,
      frontPort,
      backends: nodes.map((n, i) => ({ name: backendName(i), host: '127.0.0.1', port: n.port })),
      backendTls: mode === 'http' ? { caFile: first.rootPemPath } : {},
    });
    haproxy = proxy;
    const readyz = async (i: number): Promise<number> => {
      const node = nodes[i] as CertaintyServer;
      return httpRequest(`${node.baseUrl}/readyz`, { ca: rootPem, timeoutMs: 3_000 }).then((r) => r.status, () => 0);
    };
    const cluster: Cluster = {
      nodes,
      haproxy: proxy,
      frontUrl,
      directoryUrl: `${frontUrl}/directory`,
      databaseUrl,
      rootPem,
      rootPemPath: first.rootPemPath,
      kekPath,
      backendName,
      nodeIndex: (name) => Number(/^node(\d+)$/.exec(name)?.[1] ?? 0) - 1,
      readyz,
      async healthz(i) {
        const node = nodes[i] as CertaintyServer;
        const res = await httpRequest(`${node.baseUrl}/healthz`, { ca: rootPem, timeoutMs: 5_000 });
        return JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
      },
      async waitAllReady(timeoutMs = 30_000) {
        const running = nodes.map((n, i) => [n, i] as const).filter(([n]) => n.isRunning());
        await waitFor(async () => ((await Promise.all(running.map(([, i]) => readyz(i)))).every((s) => s === 200) ? true : undefined), {
          what: 'every running node to answer /readyz 200',
          timeoutMs,
          intervalMs: 200,
        });
        await proxy.waitForStates(Object.fromEntries(running.map(([, i]) => [backendName(i), 'UP'])), timeoutMs);
      },
      async statusJson() {
        const node = nodes.find((n) => n.isRunning()) ?? first;
        return JSON.parse(await node.cli(['cluster', 'status', '--json'])) as ClusterStatus;
      },
      async signal(i, signal) {
        const pid = await listenerPid((nodes[i] as CertaintyServer).port);
        if (pid === undefined) throw new Error(`no process listens on ${backendName(i)}'s port`);
        process.kill(pid, signal);
        if (signal === 'SIGSTOP') paused.add(pid);
        else paused.delete(pid);
        return pid;
      },
      sql() {
        pool ??= postgres(databaseUrl, { max: 2, onnotice: () => undefined, connect_timeout: 5, idle_timeout: 5 });
        return pool;
      },
      async logs(lines = 30) {
        const parts = await Promise.all(nodes.map(async (n, i) => `--- ${backendName(i)} (${n.logPath}) ---\n${await n.logTail(lines)}`));
        return [...parts, `--- haproxy ---\n${await proxy.logTail(lines)}`].join('\n');
      },
      stop,
    };
    await cluster.waitAllReady();
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The pid listening on 127.0.0.1:`port`, through /proc (Linux). */
export async function listenerPid(port: number): Promise<number | undefined> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // Columns: sl local_address rem_address st(0A = LISTEN) ... inode (tenth).
  const inode = table.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c[1] === local && c[3] === '0A')?.[9];
  if (inode === undefined) return undefined;
  for (const pid of (await readdir('/proc')).filter((e) => /^\d+$/.test(e))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) return Number(pid);
    }
  }
  return undefined;
}
