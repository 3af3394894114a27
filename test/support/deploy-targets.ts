import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { haproxyCommand } from '../../src/lifecycle/deploy/haproxy-api.ts';
import { freePort } from './free-port.ts';
import { startDaemon, type Daemon } from './process.ts';
import { run } from './run.ts';
import { waitFor } from './wait.ts';

/** A TLS server program under test: where it listens and how to stop or restart it. */
export interface TlsDaemon {
  readonly port: number;
  readonly configPath: string;
  readonly daemon: Daemon;
  /** Stops it and starts it again on the same config and port (it reads its files afresh). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Waits until something accepts TCP on 127.0.0.1:`port`, or the daemon dies. */
async function listening(daemon: Daemon, port: number, what: string): Promise<void> {
  const { createConnection } = await import('node:net');
  await waitFor(() => new Promise<true | undefined>((resolve) => {
    const c = createConnection(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(undefined));
  }), { what, timeoutMs: 10_000, abortIf: () => (daemon.isRunning() ? undefined : `${what} exited`) });
}

interface HaproxyApi {
  readonly socketPath: string;
  /** `127.0.0.1:<port>` of the TCP runtime API. */
  readonly apiAddress: string;
  /** One runtime API command (a trailing newline is added when missing); HAProxy's answer. */
  command(text: string): Promise<string>;
}

/**
 * HAProxy with one TLS frontend (`bind 127.0.0.1:<port> ssl crt <crtPath> crt <more>…`, SNI picks
 * among them), answering every request itself, and an admin runtime API on a unix socket and on
 * 127.0.0.1:<apiPort>.
 */
export async function startTlsHaproxy(dir: string, crtPaths: readonly string[]): Promise<TlsDaemon & HaproxyApi> {
  const [port, apiPort] = [await freePort(), await freePort()];
  const socketPath = join(dir, 'admin.sock');
  const configPath = join(dir, 'haproxy.cfg');
  await writeFile(configPath, [
    'global',
    `  stats socket ${socketPath} mode 600 level admin`,
    `  stats socket ipv4@127.0.0.1:${apiPort} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend tls',
    `  bind 127.0.0.1:${port} ssl ${crtPaths.map((c) => `crt ${c}`).join(' ')}`,
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n'));
  await run('haproxy', ['-c', '-q', '-f', configPath], { timeoutMs: 15_000 });
  const start = async (): Promise<Daemon> => {
    const d = await startDaemon('haproxy', ['-f', configPath, '-db'], { logPath: join(dir, 'haproxy.log') });
    await listening(d, port, 'haproxy');
    return d;
  };
  const command = (text: string): Promise<string> => haproxyCommand(socketPath, text.endsWith('\n') ? text : `${text}\n`, 3_000);
  return restartable(await start(), start, { port, configPath, socketPath, apiAddress: `127.0.0.1:${apiPort}`, command });
}

/** nginx run as root from its own prefix in `dir`: one TLS server on 127.0.0.1:<port>, pid and logs in `dir`. */
export async function startTlsNginx(dir: string, files: { fullchainPath: string; keyPath: string }): Promise<TlsDaemon & { pidFile: string; args: string[] }> {
  const port = await freePort();
  const configPath = join(dir, 'nginx.conf');
  const pidFile = join(dir, 'nginx.pid');
  const errorLog = join(dir, 'error.log');
  await writeFile(configPath, [
    'daemon off;',
    `pid ${pidFile};`,
    `error_log ${errorLog} info;`,
    'worker_processes 1;',
    'events { worker_connections 64; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${t}-temp`)};`),
    '  server {',
    `    listen 127.0.0.1:${port} ssl;`,
    '    server_name a.deploy.test;',
    `    ssl_certificate ${files.fullchainPath};`,
    `    ssl_certificate_key ${files.keyPath};`,
    '    return 200 "ok";',
    '  }',
    '}',
    '',
  ].join('\n'));
  // -e: nginx opens its default error log before reading the config unless told otherwise.
  const args = ['-c', configPath, '-p', dir, '-e', errorLog];
  await run('nginx', ['-t', ...args], { timeoutMs: 15_000 });
  const start = async (): Promise<Daemon> => {
    const d = await startDaemon('nginx', args, { logPath: join(dir, 'nginx.out') });
    await listening(d, port, 'nginx');
    return d;
  };
  return restartable(await start(), start, { port, configPath, pidFile, args });
}

function restartable<T extends object>(first: Daemon, start: () => Promise<Daemon>, extra: T & { port: number; configPath: string }): TlsDaemon & T {
  let daemon = first;
  return {
    ...extra,
    get daemon() { return daemon; },
    async restart() {
      await daemon.stop({ timeoutMs: 5_000 });
      daemon = await start();
    },
    async stop() {
      await daemon.stop({ timeoutMs: 5_000 });
    },
  };
}
