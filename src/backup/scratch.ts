import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { openDb } from '../config/database.ts';
import { databaseKind } from '../store/open.ts';
import { pgTables } from './pg-snapshot.ts';
import { withDatabase } from './pg-tools.ts';
import { emptyTarget } from './target.ts';

/** A PostgreSQL database a DR test restores into, and how to remove what it put there. */
export interface ScratchDatabase {
  url: string;
  /** Where it lives, without credentials. */
  label: string;
  remove(): Promise<void>;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

function pgConfig(config: Config, url: string): Config {
  return { ...config, database: { ...config.database, url } };
}

async function dropEverything(config: Config, url: string): Promise<void> {
  const db = openDb(pgConfig(config, url));
  try {
    const tables = await pgTables(db);
    await db.transaction(async (tx) => {
      for (const t of tables) await tx.exec(`DROP ${t.kind} IF EXISTS ${quote(t.schema)}.${quote(t.name)} CASCADE`);
    });
  } finally {
    await db.close();
  }
}

/**
 * The scratch database: the one given (refused unless empty; what the restore put there is
 * dropped afterwards), else a new database created beside the configured one and dropped afterwards.
 */
export async function scratchDatabase(config: Config, given: string | undefined): Promise<ScratchDatabase> {
  if (given !== undefined) {
    if (databaseKind(given) !== 'postgres') throw new Error('--scratch-database-url must be a postgres:// URL');
    // Checked here, before anything could drop its tables: a database that is not empty is not ours.
    await emptyTarget(pgConfig(config, given));
    return { url: given, label: 'the given scratch database', remove: () => dropEverything(config, given) };
  }
  const server = config.database.url;
  if (server === undefined || databaseKind(server) !== 'postgres') {
    throw new Error('a PostgreSQL backup needs a scratch PostgreSQL database: pass --scratch-database-url with an empty one, or set database.url so one can be created on that server');
  }
  const name = `certainty_drtest_${randomBytes(6).toString('hex')}`;
  const admin = openDb(config);
  try {
    await admin.exec(`CREATE DATABASE ${quote(name)}`);
  } catch (err) {
    throw new Error(`cannot create a scratch database on the configured server (${(err as Error).message}); grant CREATEDB or pass --scratch-database-url with an empty database`, { cause: err });
  } finally {
    await admin.close();
  }
  return {
    url: withDatabase(server, name),
    label: `scratch database ${name}`,
    async remove() {
      const db = openDb(config);
      try {
        await db.exec(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
      } finally {
        await db.close();
      }
    },
  };
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });
}

export interface ScratchSettings {
  dataDir: string;
  databaseUrl: string | undefined;
  port: number;
  http01Port: number;
}

/**
 * The configuration of the scratch node: the operator's, with everything that would touch
 * production or the network replaced. It keeps the configured KEK (resolved against the real data
 * directory) and CA settings; it listens on loopback, validates against the built-in responder,
 * allows 127.0.0.1, and does not require EAB, since the test proves the CA, not the policy.
 */
export function scratchConfig(config: Config, s: ScratchSettings): Config {
  const { externalUrl: _externalUrl, ...base } = config;
  const { url: _url, ...database } = config.database;
  const { certFile: _certFile, keyFile: _keyFile, ...tls } = config.tls;
  const { importCertFile: _cert, importKeyFile: _key, ...ca } = config.ca;
  const kek = config.kek.passphrase !== undefined ? config.kek : { ...config.kek, file: config.kek.file ?? join(config.dataDir, 'kek.key') };
  const unlimited = { limit: 1_000_000, windowSeconds: 1 };
  return withoutAuditSinks({
    ...base,
    dataDir: s.dataDir,
    listen: `127.0.0.1:${s.port}`,
    log: { level: 'silent', format: 'json' },
    database: s.databaseUrl === undefined ? database : { ...database, url: s.databaseUrl },
    kek,
    tls: { ...tls, enabled: true, names: ['127.0.0.1'] },
    ca,
    policy: { ...config.policy, allowedDomains: [], allowedIpRanges: ['127.0.0.1/32'] },
    acme: { ...config.acme, externalAccountRequired: false },
    // The drill's responder listens on 127.0.0.1, whatever the production egress policy says about loopback.
    validation: { ...config.validation, http01Port: s.http01Port, maxAttempts: 1, egress: { ...config.validation.egress, loopback: 'allow' } },
    rateLimits: {
      ordersPerAccount: unlimited, certificatesPerName: unlimited, failedValidationsPerAccount: unlimited, pendingValidationsPerAccount: 1_000_000, accountsPerAddress: unlimited,
    },
    server: { ...config.server, drainDelayMs: 0, shutdownTimeoutMs: 5000 },
  });
}

/**
 * No audit sinks: the scratch node must not forward the DR test's records, nor re-deliver the
 * restored outbox, to the production receivers. Written against the shape of `audit` without
 * naming its type, so it holds whether or not the section is configured.
 */
function withoutAuditSinks(config: Config): Config {
  const audit = (config as { audit?: { sinks?: unknown[] } }).audit;
  return audit === undefined ? config : ({ ...config, audit: { ...audit, sinks: [] } } as Config);
}
