import { writeFile } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';
import { httpRequest } from '../../src/http-client.ts';
import { onProcessExit, startDaemon } from './process.ts';
import type { Daemon, ExitStatus } from './process.ts';
import { run } from './run.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { waitFor } from './wait.ts';

/** Repository root (this file is test/support/certainty.ts). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const CERTAINTY_BIN = join(REPO_ROOT, 'bin', 'certainty.js');

export interface CertaintyOptions {
  /** `CERTAINTY_VALIDATION_DNS`: resolver for dns-01 and for http-01/tls-alpn-01 targets. */
  readonly dnsAddress: string;
  readonly http01Port: number;
  readonly tlsAlpn01Port: number;
  /** `CERTAINTY_DATABASE_URL`; omitted = SQLite in the data directory. */
  readonly databaseUrl?: string;
  /** More `CERTAINTY_*` (or any) variables for every `certainty` command. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for `/readyz`; default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Options for the server's node (e.g. `--cpu-prof`), before the script. */
  readonly nodeArgs?: readonly string[];
  /** An existing data directory to serve (kept afterwards); default a fresh temporary one. */
  readonly dataDir?: string;
}

/** A `certainty serve` process; `restart()` keeps its port, data directory and database. */
export interface CertaintyServer {
  /** `https://127.0.0.1:<port>/directory` */
  readonly directoryUrl: string;
  /** `https://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly port: number;
  /** Root exported with `certainty ca export`: trust anchor for the server's HTTPS and issued certs. */
  readonly rootPemPath: string;
  readonly dataDir: string;
  /** stdout and stderr of every run of the server, appended. */
  readonly logPath: string;
  /** Environment the server runs with (also right for other `certainty` CLI commands). */
  readonly env: Readonly<Record<string, string>>;
  /** Runs `node bin/certainty.js <args>` with the server's environment. */
  cli(args: readonly string[]): Promise<string>;
  /** Signals the server (SIGTERM: graceful drain) and waits up to 30 s before SIGKILL. */
  stop(signal?: NodeJS.Signals): Promise<ExitStatus>;
  /** SIGKILL, for crash tests. */
  kill9(): Promise<ExitStatus>;
  /** Starts the server again (after stop/kill9; stops it first if it still runs). */
  restart(): Promise<void>;
  isRunning(): boolean;
  logTail(lines?: number): Promise<string>;
  /** Stops the server and removes its temp directory. */
  dispose(): Promise<void>;
}

/** Starts `certainty serve` on a free 127.0.0.1 port and waits until `/readyz` is 200. */
export async function startCertainty(options: CertaintyOptions): Promise<CertaintyServer> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'index.js'))) {
    throw new Error(`${CERTAINTY_BIN} needs a build: run \`npm run build\` first`);
  }
  const root = await makeTempDir('server');
  const dataDir = options.dataDir ?? join(root, 'data');
  const logPath = join(root, 'certainty.log');
  const rootPemPath = join(root, 'root.pem');
  const port = await freePort();
  const baseUrl = `https://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    CERTAINTY_DATA_DIR: dataDir,
    CERTAINTY_LISTEN: `127.0.0.1:${port}`,
    CERTAINTY_VALIDATION_DNS: options.dnsAddress,
    CERTAINTY_HTTP01_PORT: String(options.http01Port),
    CERTAINTY_TLSALPN01_PORT: String(options.tlsAlpn01Port),
    // Every responder and mock DNS answer here is on 127.0.0.1.
    CERTAINTY_VALIDATION_EGRESS_LOOPBACK: 'allow',
    ...(options.databaseUrl === undefined ? {} : { CERTAINTY_DATABASE_URL: options.databaseUrl }),
    ...options.env,
  };
  // Unset = SQLite: make sure a CERTAINTY_DATABASE_URL in the caller's environment does not leak in.
  const childEnv = { CERTAINTY_DATABASE_URL: undefined, ...env };
  const cli = async (args: readonly string[]): Promise<string> =>
    (await run(process.execPath, [CERTAINTY_BIN, ...args], { cwd: REPO_ROOT, env: childEnv, timeoutMs: 30_000 })).stdout;

  const forgetRoot = onProcessExit(() => rmSync(root, { recursive: true, force: true }));
  let daemon: Daemon | undefined;
  const launch = async (): Promise<void> => {
    const started = await startDaemon(process.execPath, [...(options.nodeArgs ?? []), CERTAINTY_BIN, 'serve'], { cwd: REPO_ROOT, env: childEnv, logPath });
    daemon = started;
    try {
      // The root is not known before the first start creates the CA, so readiness skips verification.
      await waitFor(
        async () => ((await httpRequest(`${baseUrl}/readyz`, { insecure: true, timeoutMs: 2_000 })).status === 200 ? true : undefined),
        {
          what: `${baseUrl}/readyz`,
          timeoutMs: options.readyTimeoutMs ?? 30_000,
          intervalMs: 200,
          abortIf: () => (started.isRunning() ? undefined : 'certainty serve exited'),
        },
      );
    } catch (err) {
      await started.stop({ signal: 'SIGKILL' });
      throw new Error(`${(err as Error).message}\n--- certainty log (${logPath}) ---\n${await started.logTail()}`, { cause: err });
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitStatus> =>
    daemon === undefined ? { code: null, signal: null } : daemon.stop({ signal, timeoutMs: 30_000 });

  try {
    await launch();
    const pem = await cli(['ca', 'export']);
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`certainty ca export printed no certificate:\n${pem}`);
    await writeFile(rootPemPath, pem);
    const res = await httpRequest(`${baseUrl}/directory`, { ca: pem });
    if (res.status !== 200) throw new Error(`GET ${baseUrl}/directory answered ${res.status}`);
  } catch (err) {
    await stop('SIGKILL');
    await removeDir(root);
    forgetRoot();
    throw err;
  }

  return {
    directoryUrl: `${baseUrl}/directory`,
    baseUrl,
    port,
    rootPemPath,
    dataDir,
    logPath,
    env,
    cli,
    stop,
    kill9: () => stop('SIGKILL'),
    async restart() {
      await stop();
      await launch();
    },
    isRunning: () => daemon?.isRunning() ?? false,
    logTail: async (lines) => (daemon === undefined ? '' : daemon.logTail(lines)),
    async dispose() {
      await stop();
      await removeDir(root);
      forgetRoot();
    },
  };
}
