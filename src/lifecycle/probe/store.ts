import type { AuditEvent } from '../../audit/log.ts';
import type { LifecycleEvents } from '../events.ts';

/** An endpoint watched on a schedule, and what its last probe found. */
export interface ProbeEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The SNI name; null: the host when it is a name. */
  readonly servername: string | null;
  /** PEM trust anchors for the chain check; null: the system's. */
  readonly trustPem: string | null;
  /** The managed certificate whose current revision should be served (drift otherwise), or null. */
  readonly expectedManaged: string | null;
  readonly intervalMs: number;
  /** Failed probes in a row (nothing read) after which the endpoint is told unreachable. */
  readonly unreachableAfter: number;
  /** Milliseconds since the epoch. */
  readonly nextProbeAt: number;
  readonly createdAt: number;
  /** Bumped by each change of the settings above (compare-and-swap). */
  readonly version: number;
  /** Null until the first probe. */
  readonly last: ProbeOutcome | null;
}

/** What one probe found, as stored and shown. */
export interface ProbeOutcome {
  readonly checkedAt: number;
  /** `ok` when a certificate was read and nothing is wrong with it; `problem` when something is; `error` when nothing was read. */
  readonly outcome: 'ok' | 'problem' | 'error';
  /** Probes in a row, this one included, that read nothing (`error`); 0 when this one read a certificate. */
  readonly consecutiveErrors: number;
  /** What is wrong, in plain words, or null. */
  readonly error: string | null;
  readonly fingerprint256: string | null;
  readonly serial: string | null;
  readonly notAfter: number | null;
  readonly daysLeft: number | null;
  readonly chainValid: boolean | null;
  readonly chainError: string | null;
  readonly nameMatch: boolean | null;
  readonly drift: boolean | null;
}

/** A certificate discovery found on an endpoint. */
export interface DiscoveredCertificate {
  /** `host:port` (`[v6]:port`). */
  readonly endpoint: string;
  readonly fingerprint256: string;
  readonly serial: string;
  readonly subject: string;
  readonly names: readonly string[];
  readonly issuer: string;
  readonly notAfter: number;
  /** Whether this CA signed it (its serial and fingerprint are in the CA's inventory). */
  readonly issuedHere: boolean;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/**
 * Storage of probes and the discovery inventory (src/store/probe-store.ts). `raise`/`clear` and
 * `audit` run on the store's transaction, so a result and its notification commit together.
 */
export interface ProbeStore extends LifecycleEvents {
  transaction<T>(fn: (store: ProbeStore) => Promise<T>): Promise<T>;
  audit(event: AuditEvent): Promise<void>;
  /** False when the name is taken. */
  insertProbe(probe: ProbeEndpoint): Promise<boolean>;
  probe(name: string): Promise<ProbeEndpoint | undefined>;
  probes(): Promise<ProbeEndpoint[]>;
  /** Replaces the settings of the probe at `version` and makes it due at `p.nextProbeAt`; false when it changed or went meanwhile. */
  updateProbe(p: ProbeEndpoint, version: number): Promise<boolean>;
  /** False when it did not exist. */
  deleteProbe(name: string): Promise<boolean>;
  /** Probes whose time has come, soonest first. */
  dueProbes(now: number, limit: number): Promise<ProbeEndpoint[]>;
  /**
   * Moves the probe's next time from `expectedNext` to `next` (a claim: false when another node
   * moved it first).
   */
  claimProbe(name: string, expectedNext: number, next: number): Promise<boolean>;
  saveResult(name: string, last: ProbeOutcome): Promise<void>;
  /** The fingerprint of the managed certificate's current revision, or undefined (none, or not issued yet). */
  managedFingerprint(name: string): Promise<string | undefined>;
  /** Whether the CA's inventory holds a certificate with this serial and SHA-256 fingerprint. */
  issuedHere(serial: string, fingerprint256: string): Promise<boolean>;
  /** Inserts or refreshes (`lastSeen`) the certificate seen on the endpoint; the first `firstSeen` is kept. */
  upsertDiscovered(cert: DiscoveredCertificate): Promise<void>;
  discovered(): Promise<DiscoveredCertificate[]>;
}
