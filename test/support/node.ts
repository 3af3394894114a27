import { after } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { serve } from '../../src/serve.ts';
import { freePort } from './free-port.ts';
import { startPostgres, type PgCluster } from './postgres.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Dialect } from './dialects.ts';

// Most integration tests take the dialect list from here, beside freshDatabaseUrl.
export { dialects, type Dialect } from './dialects.ts';

let cluster: Promise<PgCluster> | undefined;
// Registered at load time on the root test, so the cluster outlives every suite of the file.
after(async () => {
  if (cluster) await (await cluster).stop();
});

/** A fresh empty database for the dialect (one throwaway PostgreSQL cluster per test process). */
export async function freshDatabaseUrl(dialect: Dialect): Promise<string | undefined> {
  if (dialect === 'sqlite') return undefined;
  cluster ??= startPostgres();
  return (await cluster).createDatabase();
}

/** A Certainty node running in this process. */
export interface TestNode {
  config: Config;
  directoryUrl: string;
  baseUrl: string;
  /** Where /admin and /metrics are: baseUrl, or the admin listener's URL when `admin.listen` is set. */
  adminUrl: string;
  rootPem: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface NodeOptions {
  databaseUrl?: string | undefined;
  /** Config keys to set (`--set` style). */
  set?: Record<string, string>;
  dataDir?: string;
}

/** Starts a node in-process on a free loopback port; HTTPS with its own CA. */
export async function startNode(options: NodeOptions = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? (await makeTempDir('certainty-node'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { CERTAINTY_DATA_DIR: dataDir, CERTAINTY_LISTEN: `127.0.0.1:${port}` };
  if (options.databaseUrl !== undefined) env.CERTAINTY_DATABASE_URL = options.databaseUrl;
  // Responders are on 127.0.0.1: validation must be allowed to dial loopback (a test may set it back).
  const defaults = { 'log.level': process.env.TEST_LOG_LEVEL ?? 'silent', 'validation.egress.loopback': 'allow' };
  const config = loadConfig({ env, overrides: Object.entries({ ...defaults, ...(options.set ?? {}) }) });
  const running = await serve(config, createLogger(config.log.level));
  const rootPem = await readFile(join(dataDir, 'root.pem'), 'utf8');
  return {
    config,
    baseUrl: running.url,
    adminUrl: running.adminUrl,
    directoryUrl: `${running.url}/directory`,
    rootPem,
    dataDir,
    async stop() {
      await running.stop();
      if (options.dataDir === undefined) await removeDir(dataDir);
    },
  };
}
