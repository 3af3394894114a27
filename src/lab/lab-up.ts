// The steps of `lab up`, in order: etcd, Patroni (PostgreSQL), the database HAProxy, the Certainty
// nodes, the ACME front. Each step records its processes in lab.json as soon as they are spawned.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { waitProcessReady } from './lab-control.ts';
import {
  dbHaproxyConfig,
  etcdArgs,
  frontHaproxyConfig,
  FRONT_BACKEND,
  type LabPorts,
  type LabSecrets,
  patroniYaml,
  postBootstrapScript,
} from './lab-config.ts';
import type { LabPrograms } from './lab-preflight.ts';
import { haproxySocket, httpCall, isLeader, patroniCluster, patroniHealthy, serverStates, waitFor } from './lab-probes.ts';
import { type LabProcessRecord, type LabState, writeLab } from './lab-state.ts';
import { childEnv, isAlive, type RunAs, type SpawnSpec, spawnDetached } from './processes.ts';

const run = promisify(execFile);

/** Repository root: this file is src/lab/lab-up.ts or dist/lab/lab-up.js. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface UpContext {
  state: LabState;
  ports: LabPorts;
  programs: LabPrograms;
  secrets: LabSecrets;
  /** The `postgres` OS user when we are root. */
  pgUser: RunAs | undefined;
  log: (line: string) => void;
}

const logPath = (ctx: UpContext, name: string): string => join(ctx.state.dir, 'logs', `${name}.log`);

async function launch(ctx: UpContext, spec: Omit<SpawnSpec, 'log' | 'cwd'> & { cwd?: string }): Promise<LabProcessRecord> {
  const record = spawnDetached({ cwd: ctx.state.dir, ...spec, log: logPath(ctx, spec.name) });
  ctx.state.processes[spec.name] = record;
  await writeLab(ctx.state);
  return record;
}

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

export async function startEtcd(ctx: UpContext): Promise<void> {
  const t0 = Date.now();
  const records = await Promise.all(ctx.state.etcd.map((member, i) => launch(ctx, {
    name: member.name,
    kind: 'etcd',
    argv: [ctx.programs.etcd, ...etcdArgs(ctx.ports, i, join(ctx.state.dir, 'etcd', member.name))],
    env: {},
  })));
  await Promise.all(records.map((r) => waitProcessReady(ctx.state, r, 30_000)));
  ctx.log(`etcd: ${records.length} members healthy (${seconds(t0)})`);
}

async function ownedByPostgres(ctx: UpContext, path: string): Promise<void> {
  if (ctx.pgUser !== undefined) await chown(path, ctx.pgUser.uid, ctx.pgUser.gid);
}

/** Writes each member's directory (owned by the postgres user), starts both Patronis, waits for sync replication. */
export async function startPatroni(ctx: UpContext): Promise<void> {
  const t0 = Date.now();
  for (const [index, pg] of ctx.state.postgres.entries()) {
    const dir = resolve(pg.dataDir, '..');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await ownedByPostgres(ctx, dir);
    const postBootstrap = join(dir, 'post-bootstrap.sh');
    await writeFile(postBootstrap, postBootstrapScript(ctx.programs.pgBinDir, ctx.secrets), { mode: 0o700 });
    const member = { name: pg.name, index, dir, dataDir: pg.dataDir, binDir: ctx.programs.pgBinDir, postBootstrap };
    const config = join(dir, 'patroni.yml');
    await writeFile(config, patroniYaml(ctx.ports, member, ctx.secrets, ctx.state.tuning), { mode: 0o600 });
    for (const file of [postBootstrap, config]) await ownedByPostgres(ctx, file);
    await launch(ctx, {
      name: pg.name,
      kind: 'patroni',
      argv: [ctx.programs.patroni, config],
      env: { HOME: dir, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' },
      cwd: dir,
      ...(ctx.pgUser === undefined ? {} : { uid: ctx.pgUser.uid, gid: ctx.pgUser.gid }),
    });
  }
  await waitForSyncReplication(ctx.state, 120_000);
  ctx.log(`patroni: leader ${await leaderName(ctx.state)}, sync standby streaming (${seconds(t0)})`);
}

async function leaderName(state: LabState): Promise<string> {
  return (await patroniCluster(state.postgres.map((p) => p.restUrl))).find(isLeader)?.name ?? '?';
}

/** A running leader, a sync standby, and the leader's pg_stat_replication saying `streaming`/`sync`. */
async function waitForSyncReplication(state: LabState, timeoutMs: number): Promise<void> {
  let last = '';
  await waitFor(async () => {
    const members = await patroniCluster(state.postgres.map((p) => p.restUrl));
    last = JSON.stringify(members);
    if (!patroniHealthy(members)) return undefined;
    const leader = state.postgres.find((p) => p.name === members.find(isLeader)?.name);
    const status = JSON.parse((await httpCall(`${leader?.restUrl}/patroni`)).body) as { replication?: Array<{ state?: string; sync_state?: string }> };
    return status.replication?.some((r) => r.state === 'streaming' && r.sync_state === 'sync') === true ? true : undefined;
  }, {
    what: 'a Patroni leader with a streaming sync standby',
    timeoutMs,
    intervalMs: 500,
    abortIf: () => {
      const dead = state.postgres.map((p) => state.processes[p.name]).find((r) => r !== undefined && !isAlive(r));
      return dead === undefined ? undefined : `${dead.name} (Patroni) exited (see ${dead.log})`;
    },
    detail: () => `last seen ${last}; logs in ${join(state.dir, 'logs')}`,
  });
}

async function checkHaproxyConfig(ctx: UpContext, path: string, config: string): Promise<void> {
  await writeFile(path, config);
  try {
    await run(ctx.programs.haproxy, ['-c', '-q', '-f', path], { timeout: 15_000 });
  } catch (err) {
    throw new Error(`haproxy rejected ${path}: ${(err as { stderr?: string }).stderr?.trim() ?? String(err)}`, { cause: err });
  }
}

/** The database HAProxy; resolves once the `certainty` role can query through `listen db`. */
export async function startDbProxy(ctx: UpContext): Promise<void> {
  const t0 = Date.now();
  const config = join(ctx.state.dir, 'haproxy', 'db.cfg');
  await checkHaproxyConfig(ctx, config, dbHaproxyConfig(ctx.ports, ctx.state.dbStatsSocket, ctx.state.tuning.dbCheckIntervalMs));
  const record = await launch(ctx, { name: 'haproxy-db', kind: 'haproxy', argv: [ctx.programs.haproxy, '-f', config, '-db'], env: {} });
  await waitProcessReady(ctx.state, record, 15_000);
  const sql = postgres(ctx.state.databaseUrl, { max: 1, connect_timeout: 3, onnotice: () => undefined });
  try {
    await waitFor(async () => ((await sql`select 1 as ok`)[0]?.['ok'] === 1 ? true : undefined), {
      what: `database certainty through HAProxy (127.0.0.1:${ctx.ports.db})`,
      timeoutMs: 30_000,
      intervalMs: 500,
    });
  } finally {
    await sql.end({ timeout: 1 });
  }
  ctx.log(`haproxy-db: 127.0.0.1:${ctx.ports.db} reaches the primary (${seconds(t0)})`);
}

/** Environment of node `i` (0-based); the database through its own `listen db_node<i>`. */
function nodeEnv(ctx: UpContext, i: number): Record<string, string> {
  const node = ctx.state.nodes[i];
  const dbUrl = new URL(ctx.state.databaseUrl);
  dbUrl.port = String(ctx.ports.dbNode[i]);
  return {
    CERTAINTY_CONFIG: join(ctx.state.dir, 'certainty.json'),
    CERTAINTY_DATA_DIR: node?.dataDir ?? '',
    CERTAINTY_LISTEN: `127.0.0.1:${node?.port}`,
    CERTAINTY_DATABASE_URL: dbUrl.toString(),
    CERTAINTY_KEK_FILE: join(ctx.state.dir, 'kek.key'),
    CERTAINTY_EXTERNAL_URL: ctx.state.frontUrl,
    CERTAINTY_VALIDATION_DNS: `127.0.0.1:${ctx.state.dnsPort}`,
    CERTAINTY_HTTP01_PORT: String(ctx.state.http01Port),
    CERTAINTY_TLSALPN01_PORT: String(ctx.state.tlsAlpn01Port),
    // The drill's responders listen on 127.0.0.1 (docs/configuration.md, validation egress).
    CERTAINTY_VALIDATION_EGRESS_LOOPBACK: 'allow',
    CERTAINTY_LEASE_TTL_MS: String(ctx.state.tuning.leaseTtlMs),
    CERTAINTY_DRAIN_DELAY_MS: String(ctx.state.tuning.drainDelayMs),
    CERTAINTY_HOUSEKEEPING_PERIOD_MS: String(ctx.state.tuning.housekeepingPeriodMs),
    CERTAINTY_CRL_PERIOD_MS: String(ctx.state.tuning.crlPeriodMs),
    CERTAINTY_DATABASE_POOL_SIZE: '10',
  };
}

async function startNode(ctx: UpContext, i: number): Promise<void> {
  const node = ctx.state.nodes[i];
  if (node === undefined) return;
  const record = await launch(ctx, {
    name: node.name,
    kind: 'certainty',
    argv: [process.execPath, join(REPO_ROOT, 'bin', 'certainty.js'), 'serve'],
    env: nodeEnv(ctx, i),
    cwd: REPO_ROOT,
  });
  await waitProcessReady(ctx.state, record, 90_000);
}

/** node1 alone first (it migrates and creates the CA), the root exported, then the others together. */
export async function startNodes(ctx: UpContext): Promise<void> {
  const t0 = Date.now();
  await startNode(ctx, 0);
  const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'bin', 'certainty.js'), 'ca', 'export'], {
    cwd: REPO_ROOT,
    env: childEnv(nodeEnv(ctx, 0)),
    timeout: 30_000,
  });
  if (!stdout.includes('-----BEGIN CERTIFICATE-----')) throw new Error('certainty ca export printed no certificate');
  await writeFile(ctx.state.rootPemPath, stdout);
  ctx.log(`node1: ready, CA created, root in ${ctx.state.rootPemPath} (${seconds(t0)})`);
  const t1 = Date.now();
  await Promise.all(ctx.state.nodes.slice(1).map((_, j) => startNode(ctx, j + 1)));
  const others = ctx.state.nodes.slice(1).map((n) => n.name).join(', ');
  if (others !== '') ctx.log(`${others}: ready (${seconds(t1)})`);
}

/** The ACME front, re-encrypting to the nodes and verifying them against the lab's root. */
export async function startFront(ctx: UpContext): Promise<void> {
  const t0 = Date.now();
  const config = join(ctx.state.dir, 'haproxy', 'front.cfg');
  await checkHaproxyConfig(ctx, config, frontHaproxyConfig({
    mode: 'http',
    backends: ctx.state.nodes.map((n) => ({ name: n.name, host: '127.0.0.1', port: n.port })),
    backendTls: { caFile: ctx.state.rootPemPath },
    checkIntervalMs: ctx.state.tuning.frontCheckIntervalMs,
    frontPort: ctx.ports.front,
    socketPath: ctx.state.frontStatsSocket,
  }));
  const record = await launch(ctx, { name: 'haproxy-front', kind: 'haproxy', argv: [ctx.programs.haproxy, '-f', config, '-db'], env: {} });
  await waitProcessReady(ctx.state, record, 15_000);
  let last: Record<string, string> = {};
  await waitFor(async () => {
    last = serverStates(await haproxySocket(ctx.state.frontStatsSocket, 'show stat'));
    return ctx.state.nodes.every((n) => last[`${FRONT_BACKEND}/${n.name}`] === 'UP') ? true : undefined;
  }, { what: 'every node UP in the front', timeoutMs: 30_000, intervalMs: 200, detail: () => JSON.stringify(last) });
  ctx.log(`haproxy-front: ${ctx.state.frontUrl}, ${ctx.state.nodes.length} nodes UP (${seconds(t0)})`);
}

/** Directories the steps write to (the PostgreSQL members' are made by startPatroni, owned by postgres). */
export async function makeDirs(state: LabState): Promise<void> {
  await mkdir(state.dir, { recursive: true, mode: 0o755 });
  // The postgres user walks through the lab directory to its members' directories.
  await chmod(state.dir, 0o755);
  for (const sub of ['logs', 'etcd', 'haproxy']) await mkdir(join(state.dir, sub), { recursive: true, mode: 0o700 });
}
