/**
 * Keeps an issuer's published CRL complete: every revocation committed before a CRL's snapshot is
 * on it, CRL numbers strictly increase across the cluster, and a CRL that is behind is noticed and
 * rebuilt by whichever node looks next.
 *
 * How. Every revoking transaction bumps the issuer's revocation generation and queues a `crl` job
 * (src/ca/revoke.ts). Revocations of one issuer serialise on that counter
 * row, so generations are handed out in commit order: once generation g is visible, every
 * revocation numbered up to g is committed too. A builder then:
 *   1. in one short transaction takes the next CRL number (an UPDATE that locks the issuer row until
 *      commit on PostgreSQL; SQLite transactions are serial), reads the generation, then reads the
 *      revoked set. Reading the generation before the set means the set holds every revocation the
 *      generation counts. Builders hold the row lock in turn, so a higher number always comes
 *      with a later generation and a superset of revocations;
 *   2. signs outside any transaction (the slow part: no lock is held while the key works);
 *   3. stores the CRL only if its number is above the stored one. A CRL built from an older
 *      snapshot therefore never replaces a newer one; a builder that dies between 1 and 3 only
 *      leaves a gap in the numbers, which RFC 5280 §5.2.3 allows (increasing, not consecutive).
 * The stored CRL records the generation it covers, so `upToDateCrl` (used by the `crl` job, the `crl`
 * duty and GET /crl) sees a CRL that is behind, e.g. one whose newer rival died before storing.
 *
 * Partitioned CRLs (`ca.crlShards` > 1, src/ca/crl-shards.ts) follow the same steps per shard: a
 * revocation in shard s also bumps shard s's generation and queues a job for that shard only; the
 * number still comes from the issuer row, so numbers increase across all of an issuer's CRLs.
 */
import type { CrlEntry } from './crl.ts';

/** The job kind queued with every revocation: brings its issuer's CRL up to date (run by src/serve.ts). */
export const CRL_JOB = 'crl';

/**
 * Which of an issuer's CRLs: 'all' is the complete CRL at the issuer's URL (no shards configured);
 * 'unsharded' is the CRL at that URL when shards are on, listing only certificates issued without
 * a shard; a number is that shard's CRL.
 */
export type CrlPartition = 'all' | 'unsharded' | number;

/** What a builder reads, in one transaction, before signing. */
export interface CrlSnapshot {
  /** The CRL number this builder alone holds. */
  number: number;
  /** Revocation generation the entries include (every revocation up to it, maybe a few more). */
  generation: number;
  entries: CrlEntry[];
}

/** The published CRL and the newest revocation generation, read in one statement. */
export interface StoredCrl {
  der: Buffer;
  nextUpdate: number;
  generation: number;
  latestGeneration: number;
}

/** The storage a publisher needs (src/store/crl-store.ts). */
export interface CrlStore {
  /** Allocates the next CRL number and reads the partition's revoked, unexpired set, in one transaction. */
  snapshot(issuerId: string, partition: CrlPartition, now: number): Promise<CrlSnapshot>;
  /** Stores the CRL unless one with a higher number is already stored; false when not stored. */
  publish(issuerId: string, partition: CrlPartition, crl: { number: number; generation: number; der: Buffer; thisUpdate: number; nextUpdate: number }): Promise<boolean>;
  current(issuerId: string, partition: CrlPartition): Promise<StoredCrl | undefined>;
  /** The shards of the issuer that have a stored CRL. */
  storedShards(issuerId: string): Promise<number[]>;
}

export interface CrlPublisherDeps {
  store: CrlStore;
  issuerId: string;
  partition: CrlPartition;
  lifetimeMs: number;
  now: () => number;
  sign(input: { number: number; entries: CrlEntry[]; thisUpdate: Date; nextUpdate: Date }): Promise<Buffer>;
  /** Where signing times are reported (src/metrics); absent at the CLI. */
  report?: CrlReport | undefined;
}

/** How long signing one CRL took, by issuer id. */
export interface CrlReport {
  crlSigned(issuerId: string, seconds: number): void;
}

/** Builds, signs and stores a new CRL; returns the newest stored one (this, or a newer rival's). */
async function rebuildCrl(deps: CrlPublisherDeps): Promise<Buffer> {
  const now = deps.now();
  const snap = await deps.store.snapshot(deps.issuerId, deps.partition, now);
  const started = performance.now();
  const der = await deps.sign({
    number: snap.number, entries: snap.entries, thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + deps.lifetimeMs),
  });
  deps.report?.crlSigned(deps.issuerId, (performance.now() - started) / 1000);
  const stored = await deps.store.publish(deps.issuerId, deps.partition, { number: snap.number, generation: snap.generation, der, thisUpdate: now, nextUpdate: now + deps.lifetimeMs });
  if (stored) return der;
  // A builder with a higher number stored first: its snapshot is later than ours, so serve it.
  return (await deps.store.current(deps.issuerId, deps.partition))?.der ?? der;
}

/** The stored CRL, rebuilt first when missing, behind the revocations, or past half its lifetime. */
export async function upToDateCrl(deps: CrlPublisherDeps): Promise<Buffer> {
  const row = await deps.store.current(deps.issuerId, deps.partition);
  const fresh = row !== undefined && row.generation >= row.latestGeneration && row.nextUpdate - deps.now() > deps.lifetimeMs / 2;
  return fresh ? row.der : rebuildCrl(deps);
}
