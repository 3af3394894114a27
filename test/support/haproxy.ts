import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { haproxySocket, serverStatRows } from '../../src/lab/lab-probes.ts';
import { join } from 'node:path';
import { FRONT_BACKEND, frontHaproxyConfig } from '../../src/lab/lab-config.ts';
import { freePort } from './free-port.ts';
import { onProcessExit, startDaemon } from './process.ts';
import { run } from './run.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { waitFor } from './wait.ts';

/** One `server` line of the backend. */
interface HaproxyBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface HaproxyOptions {
  readonly backends: readonly HaproxyBackend[];
  /** Port of the front on 127.0.0.1; a free one when omitted. */
  readonly frontPort?: number;
  /**
   * `http`: HAProxy parses HTTP and balances every request on its own (a keep-alive client still
   * reaches every node), the front speaks plain HTTP. `tcp`: TLS passthrough, one node per client
   * connection; the nodes' own certificates reach the client.
   */
  readonly mode: 'http' | 'tcp';
  /**
   * The backends speak TLS. In `http` mode HAProxy re-encrypts and verifies them against `caFile`
   * (no file: `verify none`); in `tcp` mode only the health checks use it (`check-ssl`).
   */
  readonly backendTls?: { readonly caFile?: string };
  /** Health-check interval (`inter`); default 500 ms, with `fall 2 rise 2`. */
  readonly checkIntervalMs?: number;
}

/** A server's state as `show stat` reports it: UP, DOWN, `UP 1/2`, `DOWN 1/2`, MAINT, NOLB... */
type BackendState = string;

/** A running `haproxy -db`; killed when the test process exits. */
export interface Haproxy {
  /** `http://127.0.0.1:<port>` (or `https://` in tcp mode with TLS backends). */
  readonly frontUrl: string;
  readonly frontPort: number;
  readonly configPath: string;
  readonly config: string;
  readonly logPath: string;
  /** Server name → state, from the stats socket. */
  backendStates(): Promise<Record<string, BackendState>>;
  /** Sessions currently open to server `name` (`scur`): requests in flight in http mode. */
  serverSessions(name: string): Promise<number>;
  /**
   * Runtime API `set server <backend>/<name> state ...`: `drain` sends it no new requests (and,
   * unlike a failed check, cuts nothing), `ready` puts it back, `maint` takes it out entirely.
   */
  setServerState(name: string, state: 'ready' | 'drain' | 'maint'): Promise<void>;
  /** Waits until every named server is in `state` (exactly, e.g. `UP` or `DOWN`). */
  waitForStates(expected: Readonly<Record<string, BackendState>>, timeoutMs?: number): Promise<void>;
  /** A raw command on the stats socket (`show stat`, `show servers state`, ...). */
  command(line: string): Promise<string>;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

const BACKEND = FRONT_BACKEND;

/** The lab's ACME front configuration (src/lab/lab-config.ts explains each choice), on `frontPort`. */
function haproxyConfig(options: HaproxyOptions, frontPort: number, socketPath: string): string {
  return frontHaproxyConfig({ ...options, frontPort, socketPath });
}

/** Rows of our backend's servers from `show stat` CSV, by server name. */
function parseStat(csv: string): Record<string, Record<string, string>> {
  return Object.fromEntries(serverStatRows(csv).filter((row) => row['pxname'] === BACKEND).map((row) => [row['svname'] ?? '', row]));
}

/** Writes the config, checks it with `haproxy -c`, runs `haproxy -db` and waits for its stats socket. */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  if (options.backends.length === 0) throw new Error('startHaproxy: no backends');
  const dir = await makeTempDir('haproxy');
  const forgetDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const frontPort = options.frontPort ?? (await freePort());
  const socketPath = join(dir, 'admin.sock');
  const configPath = join(dir, 'haproxy.cfg');
  const logPath = join(dir, 'haproxy.log');
  const config = haproxyConfig(options, frontPort, socketPath);
  await writeFile(configPath, config);
  try {
    await run('haproxy', ['-c', '-q', '-f', configPath], { timeoutMs: 15_000 });
  } catch (err) {
    await removeDir(dir);
    forgetDir();
    throw new Error(`haproxy rejected its config:\n${config}\n${(err as Error).message}`, { cause: err });
  }
  const daemon = await startDaemon('haproxy', ['-f', configPath, '-db'], { logPath });
  const command = (line: string): Promise<string> => haproxySocket(socketPath, line);
  const stat = async (): Promise<Record<string, Record<string, string>>> => parseStat(await command('show stat'));
  const backendStates = async (): Promise<Record<string, BackendState>> =>
    Object.fromEntries(Object.entries(await stat()).map(([name, row]) => [name, row['status'] ?? '']));
  const stop = async (): Promise<void> => {
    await daemon.stop({ signal: 'SIGTERM', timeoutMs: 5_000 });
    await removeDir(dir);
    forgetDir();
  };
  try {
    await waitFor(async () => (Object.keys(await backendStates()).length > 0 ? true : undefined), {
      what: `haproxy stats socket ${socketPath}`,
      timeoutMs: 10_000,
      abortIf: () => (daemon.isRunning() ? undefined : 'haproxy exited'),
    });
  } catch (err) {
    const tail = await daemon.logTail();
    await stop();
    throw new Error(`${(err as Error).message}\n--- haproxy log ---\n${tail}`, { cause: err });
  }
  const scheme = options.mode === 'tcp' && options.backendTls !== undefined ? 'https' : 'http';
  return {
    frontUrl: `${scheme}://127.0.0.1:${frontPort}`,
    frontPort,
    configPath,
    config,
    logPath,
    backendStates,
    serverSessions: async (name) => Number((await stat())[name]?.['scur'] ?? Number.NaN),
    async setServerState(name, state) {
      const answer = await command(`set server ${BACKEND}/${name} state ${state}`);
      if (answer.trim() !== '') throw new Error(`haproxy: set server ${name} state ${state}: ${answer.trim()}`);
    },
    async waitForStates(expected, timeoutMs = 15_000) {
      let last: Record<string, BackendState> = {};
      await waitFor(
        async () => {
          last = await backendStates();
          return Object.entries(expected).every(([name, state]) => last[name] === state) ? true : undefined;
        },
        { what: `haproxy servers ${JSON.stringify(expected)}`, timeoutMs, intervalMs: 100 },
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message} (last seen ${JSON.stringify(last)})`, { cause: err });
      });
    },
    command,
    logTail: (lines) => daemon.logTail(lines),
    stop,
  };
}
