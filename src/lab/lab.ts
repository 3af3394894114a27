// `certainty lab`: a production-shaped HA cluster on one machine. Three etcd members, two
// PostgreSQL members under Patroni with synchronous replication, HAProxy on Patroni's /primary,
// N Certainty nodes and an HAProxy ACME front, every process detached and recorded in lab.json so
// the lab outlives `lab up` and `lab down` can stop it even after `lab up` crashed.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { certaintyConfig, labPorts, listenPorts, MAX_NODES } from './lab-config.ts';
import { checkDriverPatched, checkPortsFree, checkReachable, findPrograms } from './lab-preflight.ts';
import { DEFAULT_TUNING, type LabOptions, type LabProcessRecord, type LabState, readLab, writeLab } from './lab-state.ts';
import { makeDirs, startDbProxy, startEtcd, startFront, startNodes, startPatroni, type UpContext } from './lab-up.ts';
import { isAlive, killPostmaster, postgresIdentity, stopRecord } from './processes.ts';

export { readLab } from './lab-state.ts';
export type { LabOptions, LabState } from './lab-state.ts';

const secret = (): string => randomBytes(18).toString('base64url');

/** The whole state before anything runs: every address, directory and URL is known up front. */
function initialState(options: LabOptions, dir: string, secrets: UpContext['secrets']): LabState {
  const ports = labPorts(options.basePort, options.nodes);
  const frontUrl = `http://127.0.0.1:${ports.front}`;
  return {
    version: 1,
    dir,
    createdAt: new Date().toISOString(),
    basePort: options.basePort,
    tuning: { ...DEFAULT_TUNING, ...options.tuning },
    frontUrl,
    directoryUrl: `${frontUrl}/directory`,
    rootPemPath: join(dir, 'root.pem'),
    databaseUrl: `postgres://certainty:${secrets.certainty}@127.0.0.1:${ports.db}/certainty`,
    adminDatabaseUrl: `postgres://postgres:${secrets.superuser}@127.0.0.1:${ports.db}/postgres`,
    dnsPort: ports.dns,
    http01Port: ports.http01,
    tlsAlpn01Port: ports.tlsAlpn01,
    frontStatsSocket: join(dir, 'haproxy', 'front.sock'),
    dbStatsSocket: join(dir, 'haproxy', 'db.sock'),
    etcd: ports.etcdClient.map((p, i) => ({ name: `etcd${i + 1}`, clientUrl: `http://127.0.0.1:${p}`, peerUrl: `http://127.0.0.1:${ports.etcdPeer[i]}` })),
    postgres: ports.postgres.map((p, i) => ({
      name: `pg${i + 1}`, port: p, restUrl: `http://127.0.0.1:${ports.patroniRest[i]}`, dataDir: join(dir, `pg${i + 1}`, 'data'),
    })),
    nodes: ports.node.map((p, i) => ({
      name: `node${i + 1}`, baseUrl: `https://127.0.0.1:${p}`, port: p, dataDir: join(dir, `node${i + 1}`), dbListen: `db_node${i + 1}`,
    })),
    processes: {},
  };
}

/** Refuses a running lab; stops and removes a dead one (what a crashed `lab up` left behind). */
async function clearDir(dir: string, log: (line: string) => void): Promise<void> {
  if (existsSync(join(dir, 'lab.json'))) {
    const old = await readLab(dir);
    if (Object.values(old.processes).some(isAlive)) {
      throw new Error(`a lab is already running in ${dir}: run \`certainty lab down --dir ${dir}\` first`);
    }
    log(`cleaning up the dead lab in ${dir}`);
    await labDown(dir, { log });
  } else if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(`${dir} exists and is not a lab (no lab.json): remove it or choose another --dir`);
  }
}

function validate(options: LabOptions): void {
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > MAX_NODES) {
    throw new Error(`--nodes must be between 1 and ${MAX_NODES} (got ${options.nodes})`);
  }
  if (!Number.isInteger(options.basePort) || options.basePort < 1024 || options.basePort > 65535 - 92) {
    throw new Error(`--base-port must be between 1024 and ${65535 - 92} (got ${options.basePort})`);
  }
}

/**
 * Starts the lab and resolves once a client can get a certificate through the front. On failure
 * it stops what it started and keeps the directory (logs in `<dir>/logs`).
 */
export async function labUp(options: LabOptions): Promise<LabState> {
  const log = options.log ?? ((): void => undefined);
  const dir = resolve(options.dir);
  validate(options);
  await clearDir(dir, log);
  const programs = findPrograms();
  checkDriverPatched();
  const ports = labPorts(options.basePort, options.nodes);
  await checkPortsFree(listenPorts(ports), options.basePort);
  const pgUser = postgresIdentity();
  checkReachable(dir, pgUser);

  const secrets = { superuser: secret(), replication: secret(), certainty: secret() };
  const state = initialState(options, dir, secrets);
  await makeDirs(state);
  await writeLab(state);
  await writeFile(join(dir, 'secrets.json'), `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'kek.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'certainty.json'), `${JSON.stringify(certaintyConfig(), null, 2)}\n`, { mode: 0o644 });

  const ctx: UpContext = { state, ports, programs, secrets, pgUser, log };
  try {
    for (const step of [startEtcd, startPatroni, startDbProxy, startNodes, startFront]) await step(ctx);
  } catch (err) {
    log(`lab up failed; stopping what it started (logs kept in ${join(dir, 'logs')})`);
    await labDown(dir, { keep: true, log });
    throw err;
  }
  return state;
}

type Stopper = (record: LabProcessRecord) => Promise<boolean>;

/**
 * Stops the lab in dependency order: front, nodes (they drain), Patroni (it stops PostgreSQL; a
 * postmaster left over is killed from its postmaster.pid), etcd, the database HAProxy. Removes
 * the directory unless `keep`.
 */
export async function labDown(dir: string, options: { keep?: boolean; log?: (line: string) => void } = {}): Promise<{ stopped: string[] }> {
  const log = options.log ?? ((): void => undefined);
  const state = await readLab(dir);
  const records = Object.values(state.processes);
  const stopped: string[] = [];
  const stage = async (pick: (r: LabProcessRecord) => boolean, stop: Stopper): Promise<void> => {
    const t0 = Date.now();
    const picked = records.filter(pick);
    const results = await Promise.all(picked.map(stop));
    const names = picked.filter((_, i) => results[i]).map((r) => r.name);
    if (names.length > 0) log(`stopped ${names.join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    stopped.push(...names);
  };
  await stage((r) => r.name === 'haproxy-front', (r) => stopRecord(r, 5_000));
  await stage((r) => r.kind === 'certainty', (r) => stopRecord(r, 15_000));
  await stage((r) => r.kind === 'patroni', (r) => stopRecord(r, 30_000, true));
  for (const pg of state.postgres) {
    if (await killPostmaster(pg.dataDir)) log(`killed the postmaster left running in ${pg.dataDir}`);
  }
  // etcd members stopping together each wait for a leader transfer that cannot happen; their
  // data is the lab's own and fsynced, so a short grace before SIGKILL loses nothing.
  await stage((r) => r.kind === 'etcd', (r) => stopRecord(r, 2_000));
  await stage((r) => r.kind === 'haproxy', (r) => stopRecord(r, 5_000));
  if (options.keep !== true) await rm(resolve(dir), { recursive: true, force: true });
  return { stopped };
}
