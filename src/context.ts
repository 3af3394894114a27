import { mkdirSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { PATHS } from './acme/linker.ts';
import { Authority, ensureCa } from './ca/authority.ts';
import type { KeyAlgorithm } from './ca/keys.ts';
import type { Config } from './config/schema.ts';
import type { Keyring } from './kek/envelope.ts';
import { openKek } from './kek/open.ts';
import type { Database } from './store/db.ts';
import { currentSchema, LATEST_SCHEMA, migrate, type MigrationReport } from './store/migrations.ts';
import { openDatabase } from './store/open.ts';

/** The base URL clients use: externalUrl, else the listen address (a wildcard address shown as localhost). */
export function publicBaseUrl(config: Config): string {
  if (config.externalUrl !== undefined) return config.externalUrl.replace(/\/+$/, '');
  const { host, port } = splitListen(config.listen);
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${config.tls.enabled ? 'https' : 'http'}://${shown}:${port}`;
}

/** The host (IPv6 without brackets) and port of a `host:port` listen address. */
export function splitListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  return { host: m?.[1] ?? '127.0.0.1', port: Number(m?.[2] ?? 8443) };
}

export function openDb(config: Config): Database {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return openDatabase({
    url: config.database.url,
    dataDir: config.dataDir,
    sqlite: { synchronous: config.database.sqliteSynchronous },
    postgres: {
      poolSize: config.database.poolSize,
      connectTimeoutSeconds: config.database.connectTimeoutSeconds,
      statementTimeoutMs: config.database.statementTimeoutMs,
    },
  });
}

export interface CaContext {
  db: Database;
  kek: Keyring;
  authority: Authority;
  migration: MigrationReport;
  created: boolean;
}

function readOptional(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Opens everything a command that signs needs: database (migrated), KEK (created on first use
 * when it is a file), CA (created or imported on first use) and the loaded authority.
 */
export async function openCa(config: Config, log: Logger, now: () => number = Date.now, create = true): Promise<CaContext> {
  const db = openDb(config);
  try {
    const migration = create ? await migrate(db, now) : await requireSchema(db);
    if (migration.applied.length > 0) log.info({ applied: migration.applied.map((m) => `${m.id}-${m.name}`) }, 'database migrated');
    const kek = await openKek(db, config.kek, config.dataDir, create);
    const importChainPem = readOptional(config.ca.importCertFile, 'ca.importCertFile');
    const importKeyPem = readOptional(config.ca.importKeyFile, 'ca.importKeyFile');
    const { created } = !create ? { created: false } : await ensureCa(db, kek, {
      name: config.ca.name, algorithm: config.ca.algorithm as KeyAlgorithm, rootValidityDays: config.ca.rootValidityDays,
      intermediateValidityDays: config.ca.intermediateValidityDays,
      ...(importChainPem === undefined ? {} : { importChainPem }), ...(importKeyPem === undefined ? {} : { importKeyPem }),
    }, new Date(now()));
    if (created) log.info({ algorithm: config.ca.algorithm, imported: importChainPem !== undefined }, 'certificate authority created');
    const base = publicBaseUrl(config);
    const authority = await Authority.load(db, kek, {
      crlUrl: (id) => `${base}${PATHS.crl}${id}.crl`, crlLifetimeMs: config.ca.crlLifetimeHours * 3_600_000, now,
    });
    return { db, kek, authority, migration, created };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

async function requireSchema(db: Database): Promise<MigrationReport> {
  const current = await currentSchema(db);
  if (current === 0) throw new Error('the database is empty: run "certainty init" (or start "certainty serve") first');
  return { applied: [], current, latest: LATEST_SCHEMA };
}
