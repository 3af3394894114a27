/**
 * A TLS probe of one endpoint: what it serves, for how long, whether the chain leads to the
 * trust bundle, whether the certificate names the host, and whether it is the certificate
 * Certainty expects there (drift). A probe never throws for what it finds: an endpoint that
 * refuses, times out or fails the handshake is a result with `error` in plain words.
 */
import { isIP } from 'node:net';
import { certSha256Hex, normaliseSerial } from '../../ca/pem.ts';
import { fetchServedChain, type ServedChain, type TlsEndpoint } from './tls-connect.ts';

/** The served leaf, as an inventory keeps it. */
interface ServedCertificate {
  /** Lowercase hex SHA-256 of the leaf DER. */
  readonly fingerprint256: string;
  /** Lowercase hex. */
  readonly serial: string;
  readonly subject: string;
  readonly issuer: string;
  /** DNS names and IP addresses from the subject alternative names. */
  readonly names: readonly string[];
  /** Milliseconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly pem: string;
}

export interface ProbeResult {
  readonly endpoint: TlsEndpoint;
  /** Milliseconds since the epoch (`opts.now`). */
  readonly checkedAt: number;
  /** Why nothing was read (refused, timeout, not TLS), or null. */
  readonly error: string | null;
  readonly served: ServedCertificate | null;
  /** Whole days until notAfter, negative once expired. */
  readonly daysLeft: number | null;
  readonly chainValid: boolean | null;
  /** Why the chain is not valid (OpenSSL's code), or null. */
  readonly chainError: string | null;
  /** Whether the leaf names the SNI name (or the host): wildcards follow RFC 6125. */
  readonly nameMatch: boolean | null;
  /** True when an expected fingerprint was given and the served leaf is another; null without one. */
  readonly drift: boolean | null;
}

export interface ProbeOptions {
  /** PEM trust anchors; default the system's. */
  readonly trust?: string | undefined;
  readonly expectedFingerprint256?: string | undefined;
  /** The probe's clock, milliseconds since the epoch. */
  readonly now: number;
  /** For the handshake; default 5 s. */
  readonly timeoutMs?: number | undefined;
}

const DAY_MS = 86_400_000;

/** Probes `endpoint` once. */
export async function probeEndpoint(endpoint: TlsEndpoint, opts: ProbeOptions): Promise<ProbeResult> {
  const empty = { endpoint, checkedAt: opts.now, served: null, daysLeft: null, chainValid: null, chainError: null, nameMatch: null, drift: null };
  let chain: ServedChain;
  try {
    chain = await fetchServedChain(endpoint, { trust: opts.trust, timeoutMs: opts.timeoutMs });
  } catch (err) {
    return { ...empty, error: (err as Error).message };
  }
  const served = describeLeaf(chain);
  const expected = opts.expectedFingerprint256?.toLowerCase().replace(/:/g, '');
  return {
    ...empty,
    error: null,
    served,
    daysLeft: Math.floor((served.notAfter - opts.now) / DAY_MS),
    chainValid: chain.chainValid,
    chainError: chain.chainError,
    nameMatch: namesHost(chain, endpoint.servername ?? endpoint.host),
    drift: expected === undefined ? null : expected !== served.fingerprint256,
  };
}

function describeLeaf(chain: ServedChain): ServedCertificate {
  const leaf = chain.leaf;
  return {
    fingerprint256: certSha256Hex(new Uint8Array(leaf.raw)),
    serial: normaliseSerial(leaf.serialNumber),
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    names: sanNames(leaf.subjectAltName),
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
    pem: leaf.toString(),
  };
}

/** Node prints distinguished names one attribute per line. */
const oneLine = (dn: string): string => dn.split('\n').filter((p) => p !== '').join(', ');

/** `DNS:a.example, IP Address:127.0.0.1` → ['a.example', '127.0.0.1']. */
export function sanNames(san: string | undefined): string[] {
  if (san === undefined) return [];
  return san.split(/,\s*/).map((part) => /^(?:DNS|IP Address):(.+)$/.exec(part)?.[1]).filter((v): v is string => v !== undefined);
}

function namesHost(chain: ServedChain, name: string): boolean {
  const unbracketed = name.replace(/^\[|\]$/g, '');
  if (isIP(unbracketed) !== 0) return chain.leaf.checkIP(unbracketed) !== undefined;
  return chain.leaf.checkHost(name, { subject: 'default' }) !== undefined;
}
