import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * pg_dump and pg_restore, run with the connection taken from the configured URL. Every parameter
 * goes through libpq's environment variables (PGHOST, PGUSER, PGPASSWORD…), never the command
 * line, so no credential shows in `ps`.
 */

interface PgUrlParts {
  prefix: string;
  user?: string;
  password?: string;
  hosts: string[];
  ports: string[];
  database?: string;
  params: URLSearchParams;
}

const URL_SHAPE = /^(postgres(?:ql)?:\/\/)(?:([^@/?]*)@)?([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/;

function parsePgUrl(url: string): PgUrlParts {
  const m = URL_SHAPE.exec(url);
  if (!m) throw new Error('database.url is not a postgres:// URL');
  const [user, password] = (m[2] ?? '').split(/:(.*)/s);
  const hosts: string[] = [];
  const ports: string[] = [];
  for (const hp of (m[3] ?? '').split(',').filter((s) => s !== '')) {
    const h = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(hp);
    hosts.push(decodeURIComponent((h?.[1] ?? hp).replace(/^\[|\]$/g, '')));
    ports.push(h?.[2] ?? '5432');
  }
  return {
    prefix: m[1] as string,
    ...(user ? { user: decodeURIComponent(user) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    hosts,
    ports,
    ...(m[4] ? { database: decodeURIComponent(m[4]) } : {}),
    params: new URLSearchParams(m[5] ?? ''),
  };
}

const PARAM_ENV: Readonly<Record<string, string>> = {
  sslmode: 'PGSSLMODE', sslrootcert: 'PGSSLROOTCERT', sslcert: 'PGSSLCERT', sslkey: 'PGSSLKEY', sslcrl: 'PGSSLCRL',
  target_session_attrs: 'PGTARGETSESSIONATTRS', connect_timeout: 'PGCONNECT_TIMEOUT', options: 'PGOPTIONS', host: 'PGHOST', port: 'PGPORT',
};

/** libpq environment for a postgres:// URL (multi-host URLs included). */
export function libpqEnv(url: string): Record<string, string> {
  const p = parsePgUrl(url);
  const env: Record<string, string> = { PGAPPNAME: 'certainty-backup', PGCONNECT_TIMEOUT: '10' };
  if (p.hosts.length > 0) {
    env.PGHOST = p.hosts.join(',');
    env.PGPORT = p.ports.join(',');
  }
  if (p.user !== undefined) env.PGUSER = p.user;
  if (p.password !== undefined) env.PGPASSWORD = p.password;
  if (p.database !== undefined) env.PGDATABASE = p.database;
  for (const [key, value] of p.params) {
    const name = PARAM_ENV[key];
    if (name !== undefined) env[name] = value;
    else if (key === 'ssl' && /^(1|true|require)$/i.test(value)) env.PGSSLMODE = 'require';
  }
  return env;
}

/** The database name a URL points at (libpq's default, the user name, when it names none). */
export function pgDatabaseName(url: string): string {
  const p = parsePgUrl(url);
  return p.database ?? p.user ?? 'postgres';
}

/** The same URL pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const m = URL_SHAPE.exec(url);
  if (!m) throw new Error('database.url is not a postgres:// URL');
  return `${m[1]}${m[2] !== undefined ? `${m[2]}@` : ''}${m[3] ?? ''}/${encodeURIComponent(database)}${m[5] !== undefined ? `?${m[5]}` : ''}`;
}

/** Where a PostgreSQL client program is: `binDir`, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function pgTool(name: 'pg_dump' | 'pg_restore', binDir: string | undefined): string {
  if (binDir !== undefined) {
    const path = join(binDir, name);
    if (!existsSync(path)) throw new Error(`${path} does not exist; point --pg-bin-dir at the directory holding ${name}`);
    return path;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  const found = versions.map((v) => join(root, v, 'bin', name)).find((p) => existsSync(p));
  return found ?? name;
}

/**
 * Runs a PostgreSQL client program, connecting to `url` (undefined: the program makes no
 * connection); resolves to its stdout, rejects with the end of its stderr. Bounded by `timeoutMs`.
 */
export function runPgTool(tool: string, args: readonly string[], url: string | undefined, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env: { ...process.env, ...(url === undefined ? {} : libpqEnv(url)) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', (e) => {
      clearTimeout(timer);
      const hint = (e as NodeJS.ErrnoException).code === 'ENOENT' ? ' (install the PostgreSQL client tools, or pass --pg-bin-dir)' : '';
      reject(new Error(`cannot run ${tool}: ${e.message}${hint}`, { cause: e }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(Buffer.concat(out));
      const why = timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      const tail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' / ');
      reject(new Error(`${tool.split('/').pop() ?? tool} ${why}${tail ? `: ${tail}` : ''}`));
    });
  });
}
