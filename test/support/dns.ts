import { Resolver } from 'node:dns/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from './free-port.ts';
import { postJson } from './http.ts';
import { onProcessExit, startDaemon } from './process.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { waitFor } from './wait.ts';

/**
 * A `pebble-challtestsrv` used only as a mock DNS server: every name resolves to 127.0.0.1
 * (no AAAA), TXT records are set through its management API. Its own challenge responders are
 * disabled so they cannot collide with the clients under test.
 */
export interface TestDns {
  /** `127.0.0.1:<port>`, for `-dnsserver`, `--dns.resolvers`, `CERTAINTY_VALIDATION_DNS`. */
  readonly dnsAddress: string;
  readonly dnsPort: number;
  /** `http://127.0.0.1:<port>` */
  readonly managementUrl: string;
  readonly logPath: string;
  /** Adds a TXT value for `host` (values accumulate until {@link TestDns.clearTxt}). */
  setTxt(host: string, value: string): Promise<void>;
  /** Removes every TXT value of `host`. */
  clearTxt(host: string): Promise<void>;
  /** Answers A queries for `host` with `addresses` instead of the default. */
  addA(host: string, addresses: readonly string[]): Promise<void>;
  clearA(host: string): Promise<void>;
  /** Answers CAA queries for `host` (exactly that name) with these properties, flags 0 (RFC 8659). */
  setCaa(host: string, properties: ReadonlyArray<{ tag: string; value: string }>): Promise<void>;
  clearCaa(host: string): Promise<void>;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

/** `name` with exactly one trailing dot, as the mock DNS stores names. */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** Starts the mock DNS server on free 127.0.0.1 ports and waits until it answers. */
export async function startTestDns(): Promise<TestDns> {
  const dir = await makeTempDir('dns');
  const forgetDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const [dnsPort = 0, managementPort = 0] = await freePorts(2);
  const dnsAddress = `127.0.0.1:${dnsPort}`;
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  const logPath = join(dir, 'challtestsrv.log');
  const daemon = await startDaemon(
    'pebble-challtestsrv',
    // Empty bind addresses disable its http-01, https-01 and tls-alpn-01 responders.
    ['-dns01', dnsAddress, '-management', `127.0.0.1:${managementPort}`, '-http01', '', '-https01', '', '-tlsalpn01', ''],
    { logPath },
  );
  const manage = async (path: string, body: unknown): Promise<void> => {
    await postJson(`${managementUrl}${path}`, body, { timeoutMs: 5_000 });
  };
  const stop = async (): Promise<void> => {
    await daemon.stop({ timeoutMs: 5_000 });
    await removeDir(dir);
    forgetDir();
  };
  try {
    const notRunning = (): string | undefined =>
      daemon.isRunning() ? undefined : 'pebble-challtestsrv exited';
    await waitFor(() => manage('/set-default-ipv4', { ip: '127.0.0.1' }).then(() => true), {
      what: `pebble-challtestsrv management API on ${managementUrl}`,
      timeoutMs: 10_000,
      abortIf: notRunning,
    });
    await manage('/set-default-ipv6', { ip: '' });
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([dnsAddress]);
    await waitFor(async () => ((await resolver.resolve4('ready.example.test')).includes('127.0.0.1') ? true : undefined), {
      what: `mock DNS on ${dnsAddress}`,
      timeoutMs: 10_000,
      abortIf: notRunning,
    });
  } catch (err) {
    const tail = await daemon.logTail();
    await stop();
    throw new Error(`${(err as Error).message}\n--- pebble-challtestsrv log ---\n${tail}`, { cause: err });
  }
  return {
    dnsAddress,
    dnsPort,
    managementUrl,
    logPath,
    setTxt: (host, value) => manage('/set-txt', { host: fqdn(host), value }),
    clearTxt: (host) => manage('/clear-txt', { host: fqdn(host) }),
    addA: (host, addresses) => manage('/add-a', { host: fqdn(host), addresses }),
    clearA: (host) => manage('/clear-a', { host: fqdn(host) }),
    setCaa: (host, properties) => manage('/add-caa', { host: fqdn(host), policies: properties }),
    clearCaa: (host) => manage('/clear-caa', { host: fqdn(host) }),
    logTail: (lines) => daemon.logTail(lines),
    stop,
  };
}
