// The renewal drills' fleet: managed certificates of the lab cluster, ordered from the drill's
// upstream CA over http-01, each deployed to a file target in `<lab>/renewals`. Set up on first
// use in a drill run (the issuance is timed), shared by the scenarios after it, and removed from
// the lab when the drill ends, so no node keeps polling an upstream that is gone.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fleetDocument, pollFiles, type DeployWatch, type FleetCert } from './fleet-files.ts';
import type { LabState } from './lab-state.ts';
import { adminCaller, adminToken, startUpstream, type AdminCall, type Upstream } from './renewal-upstream.ts';

/** The issuer the fleet is ordered from, on the lab cluster. */
const FLEET_ISSUER = 'drill-upstream';
/** Managed certificates added per `POST /admin/apply` (a request body is at most 64 KiB). */
const APPLY_BATCH = 150;

/**
 * The fleet's certificates. Names carry the drill run's `tag`: a managed certificate added again
 * under a name used before is not ordered while that name's earlier renewal job is still kept.
 */
export function fleetCerts(dir: string, tag: string, count: number): FleetCert[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `renew-${tag}-${i}`, dnsName: `r${i}.${tag}.renewals.lab.test`, fullchainPath: join(dir, `renew-${i}.pem`), keyPath: join(dir, `renew-${i}.key`),
  }));
}

/** `items` in `parts` consecutive slices of nearly equal size (the first ones one longer). */
export function slices<T>(items: readonly T[], parts: number): T[][] {
  const n = Math.max(1, Math.min(parts, items.length));
  const size = Math.floor(items.length / n);
  const extra = items.length % n;
  const out: T[][] = [];
  for (let i = 0, at = 0; i < n; i += 1) {
    const len = size + (i < extra ? 1 : 0);
    out.push(items.slice(at, at + len));
    at += len;
  }
  return out;
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

/** The fleet once issued: its certificates and each one's deployed serial. */
export interface ReadyFleet {
  readonly certs: readonly FleetCert[];
  readonly serials: ReadonlyMap<string, string>;
  /** Time to issue and deploy the certificates this call added; null when none was added. */
  readonly setupMs: number | null;
  readonly upstream: Upstream;
}

export interface FleetOptions {
  readonly state: LabState;
  readonly rootPem: string;
  /** The drill run's tag, in the certificates' names. */
  readonly tag: string;
  readonly log: (line: string) => void;
}

/** Polls the files every 500 ms until each one's serial differs from `before`, or `timeoutMs`; `onPass` after each pass. */
export async function watchDeploys(certs: readonly FleetCert[], before: ReadonlyMap<string, string>, startedAt: ReadonlyMap<string, number>, timeoutMs: number, onPass?: (watch: DeployWatch) => void): Promise<DeployWatch & { stamps: Map<string, string> }> {
  const watch = { done: new Map<string, { ms: number; serial: string }>(), duplicateDeploys: 0, stamps: new Map<string, string>() };
  const deadline = Date.now() + timeoutMs;
  while (watch.done.size < certs.length && Date.now() < deadline) {
    await pollFiles(certs, before, startedAt, watch.stamps, watch);
    onPass?.(watch);
    if (watch.done.size < certs.length) await new Promise((r) => setTimeout(r, 500));
  }
  return watch;
}

/** The drill run's fleet; nothing happens before the first `ready`. */
export class RenewalFleet {
  readonly #o: FleetOptions;
  readonly #dir: string;
  #upstream: Upstream | undefined;
  #admin: AdminCall | undefined;
  #certs: FleetCert[] = [];
  #serials = new Map<string, string>();

  constructor(options: FleetOptions) {
    this.#o = options;
    this.#dir = join(options.state.dir, 'renewals');
  }

  /** The lab's admin API: the first node that answers (a node may be down for the drill's fault). */
  async #labAdmin(): Promise<AdminCall> {
    if (this.#admin !== undefined) return this.#admin;
    const { state, rootPem } = this.#o;
    const node1 = state.processes[state.nodes[0]?.name ?? ''];
    if (node1 === undefined) throw new Error('the lab has no node to add the fleet to');
    const token = await adminToken(node1.env);
    const callers = state.nodes.map((n) => adminCaller(n.baseUrl, rootPem, token));
    this.#admin = async (method, path, body) => {
      let last: unknown;
      for (const call of callers) {
        try {
          return await call(method, path, body);
        } catch (err) {
          // The request's own mistake (4xx) is the same on every node; anything else, the next node.
          if (/ answered 4\d\d:/.test((err as Error).message)) throw err;
          last = err;
        }
      }
      throw last as Error;
    };
    return this.#admin;
  }

  /** At least `count` certificates issued and deployed: starts the upstream and adds the fleet on first use. */
  async ready(count: number, timeoutMs: number): Promise<ReadyFleet> {
    const admin = await this.#labAdmin();
    if (this.#upstream === undefined) {
      // A drill killed outright leaves its fleet behind, ordered from an upstream that is gone.
      await this.#remove(admin);
      await rm(this.#dir, { recursive: true, force: true });
      await mkdir(this.#dir, { recursive: true, mode: 0o755 });
      this.#upstream = await startUpstream(this.#o.state);
      const issuer = { name: FLEET_ISSUER, kind: 'acme', directoryUrl: this.#upstream.directoryUrl, trust: this.#upstream.rootPem, rateLimit: { orders: 100_000, per: '1h' } };
      await admin('POST', '/admin/apply', { issuers: [issuer] });
    }
    let setupMs: number | null = null;
    if (count > this.#certs.length) {
      const added = fleetCerts(this.#dir, this.#o.tag, count).slice(this.#certs.length);
      this.#certs.push(...added);
      const t0 = Date.now();
      for (const part of slices(added, Math.ceil(added.length / APPLY_BATCH))) await admin('POST', '/admin/apply', fleetDocument(part, FLEET_ISSUER));
      this.#o.log(`  ${added.length} managed certificates added; waiting for them to be issued and deployed`);
      const watch = await watchDeploys(added, new Map(), new Map(added.map((c) => [c.name, t0])), timeoutMs);
      if (watch.done.size < added.length) throw new Error(`only ${watch.done.size} of ${added.length} managed certificates were issued and deployed within ${Math.round(timeoutMs / 1000)} s (see certainty managed list, and the nodes' logs)`);
      setupMs = Date.now() - t0;
      this.remember(new Map([...watch.done].map(([name, d]) => [name, d.serial])));
      this.#o.log(`  ${added.length} managed certificates issued and deployed in ${(setupMs / 1000).toFixed(1)} s`);
    }
    return { certs: this.#certs.slice(0, count), serials: this.#serials, setupMs, upstream: this.#upstream };
  }

  /** Removes every managed certificate of the fleet's issuer, then the issuer. */
  async #remove(admin: AdminCall): Promise<void> {
    const managed = (await admin('GET', '/admin/managed')) as Array<{ name: string; issuer: string }>;
    await inBatches(managed.filter((m) => m.issuer === FLEET_ISSUER), 8, async (m) => void (await admin('DELETE', `/admin/managed/${m.name}`)));
    await admin('DELETE', `/admin/issuers/${FLEET_ISSUER}`).catch((err: unknown) => {
      if (!/ answered 404:/.test((err as Error).message)) throw err;
    });
  }

  /** Records the serials a phase ended with, the next phase's "before". */
  remember(serials: ReadonlyMap<string, string>): void {
    for (const [name, serial] of serials) this.#serials.set(name, serial);
  }

  /** Removes the fleet and its issuer from the lab, then stops the upstream. */
  async close(): Promise<void> {
    if (this.#upstream === undefined) return;
    try {
      await this.#remove(await this.#labAdmin());
    } finally {
      await this.#upstream.stop();
      this.#upstream = undefined;
      this.#certs = [];
      this.#serials.clear();
    }
  }
}
