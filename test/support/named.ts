import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { onProcessExit, startDaemon } from './process.ts';
import { runUnchecked } from './run.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { waitFor } from './wait.ts';

/**
 * Debian's BIND (`named`, package bind9) as the primary of one zone that accepts RFC 2136 updates
 * of TXT records signed with one TSIG key (`update-policy { grant <key> zonesub TXT; }`),
 * listening on a free 127.0.0.1 port (UDP and TCP), run in the foreground (`-g`) in a temp dir.
 */
export interface NamedServer {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, for Pebble's `-dnsserver`. */
  readonly address: string;
  readonly zone: string;
  readonly keyName: string;
  readonly keyAlgorithm: string;
  /** base64, as in the key statement. */
  readonly keySecret: string;
  /** A key the server knows (same algorithm) but lets update nothing: its updates are REFUSED. */
  readonly deniedKey: { name: string; secret: string };
  /** The TXT strings of `name`, asked with `dig` over TCP. */
  txt(name: string): Promise<string[]>;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

function zoneFile(zone: string): string {
  return [
    '$TTL 300',
    `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`,
    `@ IN NS ns.${zone}.`,
    'ns IN A 127.0.0.1',
    '@ IN A 127.0.0.1',
    '* IN A 127.0.0.1',
    '',
  ].join('\n');
}

function config(dir: string, port: number, zone: string, keyName: string, algorithm: string, secret: string, denied: { name: string; secret: string }): string {
  return `options {
  directory "${dir}";
  pid-file "${join(dir, 'named.pid')}";
  session-keyfile "${join(dir, 'session.key')}";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  allow-query { any; };
  notify no;
};
controls { };
key "${keyName}" { algorithm ${algorithm}; secret "${secret}"; };
key "${denied.name}" { algorithm ${algorithm}; secret "${denied.secret}"; };
zone "${zone}" { type primary; file "${join(dir, `${zone}.zone`)}"; update-policy { grant ${keyName} zonesub TXT; }; };
`;
}

async function dig(port: number, name: string, type: string): Promise<{ code: number | null; stdout: string }> {
  return runUnchecked('dig', ['+tcp', '+short', '+time=2', '+tries=1', '-p', String(port), '@127.0.0.1', name, type], { timeoutMs: 10_000 });
}

export async function startNamed(options: { zone: string; keyName?: string; keyAlgorithm?: string }): Promise<NamedServer> {
  const dir = await makeTempDir('named');
  const forgetDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const { zone } = options;
  const keyName = options.keyName ?? 'certainty.';
  const keyAlgorithm = options.keyAlgorithm ?? 'hmac-sha256';
  const keySecret = randomBytes(32).toString('base64');
  const deniedKey = { name: 'denied.', secret: randomBytes(32).toString('base64') };
  const confPath = join(dir, 'named.conf');
  await writeFile(join(dir, `${zone}.zone`), zoneFile(zone));
  await writeFile(confPath, config(dir, port, zone, keyName, keyAlgorithm, keySecret, deniedKey));
  const daemon = await startDaemon('named', ['-g', '-c', confPath, '-n', '1'], { cwd: dir, logPath: join(dir, 'named.log') });
  const stop = async (): Promise<void> => {
    await daemon.stop({ timeoutMs: 5_000 });
    await removeDir(dir);
    forgetDir();
  };
  try {
    await waitFor(async () => ((await dig(port, zone, 'SOA')).stdout.includes(`ns.${zone}.`) ? true : undefined), {
      what: `named serving ${zone} on 127.0.0.1:${port}`, timeoutMs: 20_000, intervalMs: 200,
      abortIf: () => (daemon.isRunning() ? undefined : 'named exited'),
    });
  } catch (err) {
    const tail = await daemon.logTail();
    await stop();
    throw new Error(`${(err as Error).message}\n--- named log ---\n${tail}`, { cause: err });
  }
  return {
    host: '127.0.0.1', port, address: `127.0.0.1:${port}`, zone, keyName, keyAlgorithm, keySecret, deniedKey,
    async txt(name) {
      const r = await dig(port, name, 'TXT');
      if (r.code !== 0) throw new Error(`dig ${name} TXT failed (${r.code})`);
      return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/^"|"$/g, ''));
    },
    logTail: (lines) => daemon.logTail(lines),
    stop,
  };
}
