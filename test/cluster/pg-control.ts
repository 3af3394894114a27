// PostgreSQL outages for the cluster tests: stop/start a throwaway cluster from
// test/support/postgres.ts, and build a streaming standby of it (pg_basebackup -R) to promote.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { freePort } from '../support/free-port.ts';
import type { PgCluster } from '../support/postgres.ts';
import { onProcessExit } from '../support/process.ts';
import { run } from '../support/run.ts';
import { makeTempDir, removeDir } from '../support/tmp.ts';

/** The newest `/usr/lib/postgresql/<v>/bin/<name>`, else `name` from PATH. */
async function pgTool(name: string): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [])).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin', name)).find((p) => existsSync(p)) ?? name;
}

/** Cluster commands run as the `postgres` OS user when we are root, as test/support/postgres.ts does. */
async function asOwner(tool: string, args: readonly string[]): Promise<[string, string[]]> {
  const path = await pgTool(tool);
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, [...args]];
}

async function pgRun(tool: string, args: readonly string[], timeoutMs = 60_000): Promise<void> {
  const [cmd, full] = await asOwner(tool, args);
  await run(cmd, full, { timeoutMs, env: { LC_ALL: 'C' } });
}

/** `pg_ctl stop -m <mode>` on a data directory. */
export function pgStop(dataDir: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  return pgRun('pg_ctl', ['-D', dataDir, 'stop', '-m', mode, '-w', '-t', '30'], 40_000);
}

/** `pg_ctl start`, logging next to the data directory (the log must not be our pipe, or run() waits forever). */
export function pgStart(dataDir: string): Promise<void> {
  return pgRun('pg_ctl', ['-D', dataDir, 'start', '-w', '-t', '30', '-l', join(dirname(dataDir), 'postgres.log')], 40_000);
}

/** A streaming standby of a primary. */
export interface Standby {
  readonly port: number;
  readonly dataDir: string;
  /** `pg_ctl promote -w`: the standby becomes a read-write primary. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

/** pg_basebackup -R from `primary` into a new directory, on its own port, started and streaming. */
export async function startStandby(primary: PgCluster): Promise<Standby> {
  const root = await makeTempDir('pg-standby');
  const dataDir = join(root, 'data');
  if (process.getuid?.() === 0) {
    const id = async (flag: string): Promise<number> => Number((await run('id', [flag, 'postgres'])).stdout.trim());
    await chown(root, await id('-u'), await id('-g'));
  }
  const [stopCmd, stopArgs] = await asOwner('pg_ctl', ['-D', dataDir, 'stop', '-m', 'immediate', '-w', '-t', '10']);
  const forget = onProcessExit(() => {
    spawnSync(stopCmd, stopArgs, { stdio: 'ignore', timeout: 15_000 });
    spawnSync('rm', ['-rf', root], { stdio: 'ignore', timeout: 15_000 });
  });
  // initdb's default pg_hba.conf trusts replication connections from 127.0.0.1.
  await pgRun('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast']);
  const port = await freePort();
  // The copied postgresql.conf names the primary's port; the last setting wins.
  await appendFile(join(dataDir, 'postgresql.conf'), `\nport = ${port}\nhot_standby = on\n`);
  await pgStart(dataDir);
  return {
    port,
    dataDir,
    promote: () => pgRun('pg_ctl', ['-D', dataDir, 'promote', '-w', '-t', '30'], 40_000),
    async stop() {
      await run(stopCmd, stopArgs, { timeoutMs: 20_000 }).catch(() => undefined);
      forget();
      await removeDir(root);
    },
  };
}
