import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { appendFile, chown, mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from './free-port.ts';
import { onProcessExit, tailFile } from './process.ts';
import { run } from './run.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { withTimeout } from './wait.ts';

/** A throwaway PostgreSQL cluster owned by one test process. */
export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Creates an empty database (random name unless given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** `pg_ctl stop -m immediate`, then removes the cluster directory. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

/** Directory holding initdb/pg_ctl: the newest `/usr/lib/postgresql/<v>/bin`, else '' (use PATH). */
async function findPgBinDir(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = await readdir(root).then(
    (entries) => entries.filter((v) => /^\d+(\.\d+)?$/.test(v)),
    () => [],
  );
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
  return found ?? '';
}

/**
 * initdb refuses to run as root, so as root every cluster command runs as the `postgres` OS
 * user (created by the Debian package).
 */
function asClusterOwner(tool: string, args: readonly string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', tool, ...args]];
  return [tool, [...args]];
}

/** Starts a cluster on a free 127.0.0.1 port in a temp dir (trust auth, fsync off). */
export async function startPostgres(): Promise<PgCluster> {
  const binDir = await findPgBinDir();
  const tool = (name: string): string => (binDir === '' ? name : join(binDir, name));
  const root = await makeTempDir('pg');
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  const logPath = join(root, 'postgres.log');
  await mkdir(socketDir);
  if (process.getuid?.() === 0) {
    const owner = await run('id', ['-u', 'postgres']).then((r) => Number(r.stdout.trim()));
    const group = await run('id', ['-g', 'postgres']).then((r) => Number(r.stdout.trim()));
    await chown(root, owner, group);
    await chown(socketDir, owner, group);
  }
  const pgRun = (name: string, args: readonly string[], timeoutMs = 60_000): Promise<unknown> => {
    const [cmd, fullArgs] = asClusterOwner(tool(name), args);
    return run(cmd, fullArgs, { timeoutMs, env: { LC_ALL: 'C' } });
  };
  await pgRun('initdb', ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  await appendFile(
    join(dataDir, 'postgresql.conf'),
    [
      '',
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${socketDir}'`,
      // Durability is worthless for a throwaway test cluster; speed is not.
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 300',
      '',
    ].join('\n'),
  );
  const pgCtlArgs = (...args: string[]): [string, string[]] => asClusterOwner(tool('pg_ctl'), ['-D', dataDir, ...args]);
  const removeExitHook = onProcessExit(() => {
    const [cmd, args] = pgCtlArgs('stop', '-m', 'immediate', '-w', '-t', '10');
    spawnSync(cmd, args, { stdio: 'ignore', timeout: 15_000 });
    spawnSync('rm', ['-rf', root], { stdio: 'ignore', timeout: 15_000 });
  });
  try {
    const [cmd, args] = pgCtlArgs('start', '-w', '-t', '30', '-l', logPath);
    await run(cmd, args, { timeoutMs: 40_000 });
  } catch (err) {
    const tail = await tailFile(logPath);
    removeExitHook();
    await removeDir(root);
    throw new Error(`${(err as Error).message}\n--- postgres log ---\n${tail}`, { cause: err });
  }
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  const dbUrl = (name: string): string => `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
  return {
    url,
    port,
    dataDir,
    async createDatabase(name = `test_${randomBytes(6).toString('hex')}`) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${JSON.stringify(name)}`);
      const sql = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
      try {
        await withTimeout(sql.unsafe(`create database "${name}"`), 30_000, `create database ${name}`);
      } finally {
        await sql.end({ timeout: 5 });
      }
      return dbUrl(name);
    },
    async stop() {
      const [cmd, args] = pgCtlArgs('stop', '-m', 'immediate', '-w', '-t', '10');
      await run(cmd, args, { timeoutMs: 20_000 });
      removeExitHook();
      await removeDir(root);
    },
  };
}
