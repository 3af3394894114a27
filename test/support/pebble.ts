import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts } from './free-port.ts';
import { httpRequest } from '../../src/http-client.ts';
import { onProcessExit, startDaemon } from './process.ts';
import { createTestTlsCert } from './tls-cert.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface PebbleOptions {
  /** Resolver Pebble's VA uses (`-dnsserver`), e.g. a {@link TestDns} address. */
  readonly dnsAddress: string;
  /** Port Pebble connects to for http-01 (`httpPort`). */
  readonly http01Port: number;
  /** Port Pebble connects to for tls-alpn-01 (`tlsPort`). */
  readonly tlsAlpn01Port: number;
  /**
   * Extra PEBBLE_* variables. By default validation does not sleep (PEBBLE_VA_NOSLEEP=1) and no
   * valid nonce is rejected (PEBBLE_WFE_NONCEREJECT=0), so runs are fast and deterministic.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Lifetime of the certificates Pebble issues, in seconds (short ones make renewals happen within a test). */
  readonly certificateValidityPeriod?: number;
}

/** A running Pebble (Let's Encrypt's test ACME server), Debian package `pebble`. */
export interface PebbleServer {
  /** `https://127.0.0.1:<port>/dir` */
  readonly directoryUrl: string;
  /** `https://127.0.0.1:<port>` (roots, intermediates, cert status) */
  readonly managementUrl: string;
  /** CA of Pebble's own HTTPS certificate: what ACME clients must trust. */
  readonly tlsCaPemPath: string;
  /** Root that issued certificates chain to (regenerated at every Pebble start). */
  readonly rootPemPath: string;
  readonly logPath: string;
  /** `Valid` or `Revoked`, from the management API, for a hex serial. */
  certStatus(serialHex: string): Promise<string>;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts Pebble on free 127.0.0.1 ports and waits until its directory answers. */
export async function startPebble(options: PebbleOptions): Promise<PebbleServer> {
  const dir = await makeTempDir('pebble');
  const forgetDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const tls = await createTestTlsCert(dir);
  const [acmePort = 0, managementPort = 0] = await freePorts(2);
  const configPath = join(dir, 'pebble-config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: tls.certPath,
        privateKey: tls.keyPath,
        httpPort: options.http01Port,
        tlsPort: options.tlsAlpn01Port,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(options.certificateValidityPeriod === undefined ? {} : { certificateValidityPeriod: options.certificateValidityPeriod }),
      },
    }),
  );
  const logPath = join(dir, 'pebble.log');
  const daemon = await startDaemon('pebble', ['-config', configPath, '-dnsserver', options.dnsAddress], {
    cwd: dir,
    logPath,
    env: { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', ...options.env },
  });
  const ca = await readFile(tls.caPemPath);
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const managementUrl = `https://127.0.0.1:${managementPort}`;
  const rootPemPath = join(dir, 'issuer-root.pem');
  const stop = async (): Promise<void> => {
    await daemon.stop({ timeoutMs: 5_000 });
    await removeDir(dir);
    forgetDir();
  };
  try {
    const ready = { timeoutMs: 15_000, abortIf: () => (daemon.isRunning() ? undefined : 'pebble exited') };
    await waitFor(async () => ((await httpRequest(directoryUrl, { ca, timeoutMs: 2_000 })).status === 200 ? true : undefined), {
      what: `Pebble directory ${directoryUrl}`,
      ...ready,
    });
    const root = await waitFor(
      async () => {
        const res = await httpRequest(`${managementUrl}/roots/0`, { ca, timeoutMs: 2_000 });
        return res.status === 200 ? res.body : undefined;
      },
      { what: 'Pebble root certificate', ...ready },
    );
    await writeFile(rootPemPath, root);
  } catch (err) {
    const tail = await daemon.logTail();
    await stop();
    throw new Error(`${(err as Error).message}\n--- pebble log ---\n${tail}`, { cause: err });
  }
  return {
    directoryUrl,
    managementUrl,
    tlsCaPemPath: tls.caPemPath,
    rootPemPath,
    logPath,
    async certStatus(serialHex) {
      const res = await httpRequest(`${managementUrl}/cert-status-by-serial/${serialHex.toLowerCase()}`, { ca });
      if (res.status !== 200) throw new Error(`Pebble cert status for ${serialHex}: ${res.status} ${res.body.toString('utf8')}`);
      const status = (JSON.parse(res.body.toString('utf8')) as { Status?: unknown }).Status;
      return String(status);
    },
    logTail: (lines) => daemon.logTail(lines),
    stop,
  };
}
