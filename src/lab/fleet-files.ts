// A fleet's deployed files read back: which certificate each file target holds, verified, and a
// watch that notices a target written again after it held its new certificate (a duplicate
// deploy). Shared by the renewal drills and `npm run bench:lifecycle`.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';

/** One managed certificate of a fleet and its file target. */
export interface FleetCert {
  readonly name: string;
  readonly dnsName: string;
  readonly fullchainPath: string;
  readonly keyPath: string;
}

/**
 * The serial of the certificate deployed to `c`'s files, when they hold a verified deploy: the leaf
 * is for the name, signed by the next certificate of the chain, and matches the key file.
 * Undefined while the files are missing, half-written or wrong.
 */
export async function deployedSerial(c: FleetCert): Promise<string | undefined> {
  try {
    const pem = await readFile(c.fullchainPath, 'utf8');
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length < 2) return undefined;
    const leaf = new X509Certificate(blocks[0] as string);
    const issuer = new X509Certificate(blocks[1] as string);
    if (leaf.checkHost(c.dnsName) === undefined || !leaf.verify(issuer.publicKey)) return undefined;
    if (!leaf.checkPrivateKey(createPrivateKey(await readFile(c.keyPath, 'utf8')))) return undefined;
    return leaf.serialNumber;
  } catch {
    return undefined;
  }
}

/** mtimes of both files ('' while one is missing): the poll parses them again only when this changes. */
async function filesStamp(c: FleetCert): Promise<string> {
  const [a, b] = await Promise.all([stat(c.fullchainPath).catch(() => undefined), stat(c.keyPath).catch(() => undefined)]);
  return a === undefined || b === undefined ? '' : `${a.mtimeMs}:${b.mtimeMs}`;
}

/** A phase's watch over the files: each certificate's time and serial, and rewrites after that. */
export interface DeployWatch {
  readonly done: Map<string, { ms: number; serial: string }>;
  /** Files written again after they held the new certificate: a second deploy of one renewal. */
  duplicateDeploys: number;
}

/**
 * One pass over the files; a certificate's files are parsed again only when their mtimes changed
 * (`stamps` keeps them between passes). A certificate is done when its verified serial differs
 * from `before` (absent: any serial); `startedAt` gives each one's clock (absent: not started).
 */
export async function pollFiles(certs: readonly FleetCert[], before: ReadonlyMap<string, string>, startedAt: ReadonlyMap<string, number>, stamps: Map<string, string>, watch: DeployWatch): Promise<void> {
  for (const c of certs) {
    const stamp = await filesStamp(c);
    if (stamp === '' || stamps.get(c.name) === stamp) continue;
    if (watch.done.has(c.name)) {
      stamps.set(c.name, stamp);
      watch.duplicateDeploys += 1;
      continue;
    }
    const serial = await deployedSerial(c);
    // A file written while it was read: decide on the next pass, or that write would look like a second deploy.
    if ((await filesStamp(c)) !== stamp) continue;
    stamps.set(c.name, stamp);
    const start = startedAt.get(c.name);
    if (serial !== undefined && start !== undefined && serial !== before.get(c.name)) watch.done.set(c.name, { ms: Date.now() - start, serial });
  }
}

/** The `certainty apply` document that adds the fleet: ordered from `issuer` over http-01, one file target each. */
export function fleetDocument(certs: readonly FleetCert[], issuer: string): { managed: unknown[] } {
  return {
    managed: certs.map((c) => ({
      name: c.name, issuer, names: [c.dnsName], solver: { type: 'http-01' },
      targets: [{ type: 'file', fullchainPath: c.fullchainPath, keyPath: c.keyPath }],
    })),
  };
}
