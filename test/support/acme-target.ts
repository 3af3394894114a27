import { startCertainty } from './certainty.ts';
import { freePorts } from './free-port.ts';
import { startPebble } from './pebble.ts';

/** Which ACME server end-to-end tests drive: ours, or Pebble to check the harness itself. */
export type TargetKind = 'certainty' | 'pebble';

/** An ACME server as the end-to-end tests see it, whichever implementation it is. */
export interface AcmeTarget {
  readonly kind: TargetKind;
  readonly directoryUrl: string;
  /** What ACME clients must trust to reach the directory over HTTPS. */
  readonly serverCaPemPath: string;
  /** Root that issued certificates must chain to. */
  readonly issuerRootPemPath: string;
  /** Ports the server validates http-01 and tls-alpn-01 on; clients listen there. */
  readonly http01Port: number;
  readonly tlsAlpn01Port: number;
  /**
   * Whether issued certificates carry a CRL distribution point serving a CRL. Pebble has no CRL
   * at all; Certainty must.
   */
  readonly servesCrl: boolean;
  /** Revocation status from the server's own bookkeeping, where it has an API for it (Pebble). */
  readonly revocationStatus?: (serialHex: string) => Promise<string>;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface TargetOptions {
  readonly kind: TargetKind;
  readonly dnsAddress: string;
  /** For Certainty on PostgreSQL; ignored by Pebble, which keeps everything in memory. */
  readonly databaseUrl?: string;
}

/** `E2E_TARGET`: `certainty` (default) or `pebble`. */
export function targetKindFromEnv(): TargetKind {
  const value = process.env['E2E_TARGET'] ?? 'certainty';
  if (value !== 'certainty' && value !== 'pebble') throw new Error(`E2E_TARGET must be certainty or pebble, not ${value}`);
  return value;
}

/** Starts the chosen ACME server with its own free http-01 and tls-alpn-01 ports. */
export async function startTarget(options: TargetOptions): Promise<AcmeTarget> {
  const [http01Port = 0, tlsAlpn01Port = 0] = await freePorts(2);
  if (options.kind === 'pebble') {
    const pebble = await startPebble({ dnsAddress: options.dnsAddress, http01Port, tlsAlpn01Port });
    return {
      kind: 'pebble',
      directoryUrl: pebble.directoryUrl,
      serverCaPemPath: pebble.tlsCaPemPath,
      issuerRootPemPath: pebble.rootPemPath,
      http01Port,
      tlsAlpn01Port,
      servesCrl: false,
      revocationStatus: (serial) => pebble.certStatus(serial),
      logTail: (lines) => pebble.logTail(lines),
      stop: () => pebble.stop(),
    };
  }
  const server = await startCertainty({
    dnsAddress: options.dnsAddress,
    http01Port,
    tlsAlpn01Port,
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
  });
  return {
    kind: 'certainty',
    directoryUrl: server.directoryUrl,
    serverCaPemPath: server.rootPemPath,
    issuerRootPemPath: server.rootPemPath,
    http01Port,
    tlsAlpn01Port,
    servesCrl: true,
    logTail: (lines) => server.logTail(lines),
    stop: () => server.dispose(),
  };
}
