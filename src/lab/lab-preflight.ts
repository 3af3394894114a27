// Checks made before `lab up` starts anything, each failing with one line that says what to do.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProgram, type RunAs } from './processes.ts';

const INSTALL_COMMAND = 'apt-get install -y patroni etcd-server etcd-client haproxy postgresql';

/** Absolute paths of the programs the lab runs. */
export interface LabPrograms {
  etcd: string;
  patroni: string;
  haproxy: string;
  /** Directory of pg_ctl, initdb, postgres, psql (Patroni's `bin_dir`). */
  pgBinDir: string;
}

/** The newest `/usr/lib/postgresql/<v>/bin` that has pg_ctl, else the directory of pg_ctl on PATH. */
function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'pg_ctl')));
  if (dir !== undefined) return dir;
  const pgCtl = findProgram('pg_ctl');
  return pgCtl === undefined ? undefined : dirname(pgCtl);
}

/** Finds every program, or throws one line naming all that are missing and the install command. */
export function findPrograms(): LabPrograms {
  const missing: string[] = [];
  const need = (name: string): string => {
    const path = findProgram(name);
    if (path === undefined) missing.push(name);
    return path ?? name;
  };
  const etcd = need('etcd');
  need('etcdctl');
  const patroni = need('patroni');
  const haproxy = need('haproxy');
  const pgBinDir = postgresBinDir();
  if (pgBinDir === undefined) missing.push('pg_ctl', 'initdb');
  else for (const tool of ['initdb', 'postgres', 'psql']) if (!existsSync(join(pgBinDir, tool))) missing.push(`${tool} (in ${pgBinDir})`);
  if (missing.length > 0) throw new Error(`the lab needs ${missing.join(', ')}: install with \`${INSTALL_COMMAND}\``);
  return { etcd, patroni, haproxy, pgBinDir: pgBinDir ?? '' };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws one line listing the ports someone else already listens on. */
export async function checkPortsFree(ports: readonly number[], basePort: number): Promise<void> {
  const busy: number[] = [];
  for (const port of ports) if (!(await portFree(port))) busy.push(port);
  if (busy.length > 0) throw new Error(`ports in use on 127.0.0.1: ${busy.join(', ')}: choose another --base-port than ${basePort}`);
}

/**
 * PostgreSQL runs as `postgres` when we are root, so it must be able to walk down to the lab
 * directory; a lab under /root fails here rather than deep inside Patroni's bootstrap.
 */
export function checkReachable(dir: string, runAs: RunAs | undefined): void {
  if (runAs === undefined) return;
  for (let d = dirname(dir); ; d = dirname(d)) {
    const st = statSync(d);
    const searchable = (st.mode & 0o001) !== 0 || (st.uid === runAs.uid && (st.mode & 0o100) !== 0) || (st.gid === runAs.gid && (st.mode & 0o010) !== 0);
    if (!searchable) throw new Error(`the postgres user cannot reach ${dir} (${d} is not searchable by it): choose a --dir elsewhere, e.g. /tmp/certainty-lab`);
    if (d === dirname(d)) return;
  }
}

/**
 * The nodes must run the postgres.js driver with the guard `npm install` adds (a closed connection
 * otherwise can crash a node: scripts/patch-postgres.mjs), or the drills measure a driver bug.
 */
export function checkDriverPatched(): void {
  const file = join(dirname(fileURLToPath(import.meta.resolve('postgres'))), 'connection.js');
  if (!existsSync(file)) return;
  if (!readFileSync(file, 'utf8').includes('certainty: guarded nextWrite')) {
    throw new Error(`the postgres.js driver in ${file} lacks Certainty's guard against a crash on closed connections: run npm install (its postinstall applies scripts/patch-postgres.mjs)`);
  }
}
