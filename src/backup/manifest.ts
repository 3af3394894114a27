import { z } from 'zod';

/**
 * The archive format this code writes; readers accept this version only. A newer one is refused,
 * and so is version 1, which had no MAC and so cannot be told apart from a forged archive.
 */
export const FORMAT = 'certainty-backup';
export const FORMAT_VERSION = 2;

/**
 * The archive member names. The manifest comes first so a reader knows what follows, then its MAC
 * (src/backup/seal.ts), so the manifest is authenticated before a byte of the payload is read.
 */
export const MANIFEST_NAME = 'manifest.json';
export const SEAL_NAME = 'manifest.mac';
export const PAYLOAD_NAMES = { sqlite: 'certainty.db', postgres: 'certainty.pgdump' } as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const manifestSchema = z.strictObject({
  format: z.literal(FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  certaintyVersion: z.string(),
  schemaVersion: z.number().int().positive(),
  dialect: z.enum(['sqlite', 'postgres']),
  createdAt: z.iso.datetime(),
  nodeId: z.string().nullable(),
  source: z.string(),
  /**
   * The snapshot's `kek.check` (the KEK verifier, a value sealed under the KEK) and, with a
   * passphrase KEK, `kek.salt`: what a restore needs to open the configured KEK and check it is the
   * archive's before anything is extracted. Neither reveals the KEK.
   */
  kek: z.strictObject({ check: z.string().min(1), salt: z.string().min(1).nullable() }),
  /** Row counts of every table in the snapshot the payload was taken from. */
  tables: z.record(z.string(), z.number().int().min(0)),
  payload: z.strictObject({
    name: z.enum([PAYLOAD_NAMES.sqlite, PAYLOAD_NAMES.postgres]),
    encoding: z.enum(['sqlite3', 'pg_dump-custom']),
    size: z.number().int().min(0),
    sha256: hex64,
  }),
});

/** What an archive says about itself (`manifest.json`). */
export type Manifest = z.infer<typeof manifestSchema>;

/** An archive that cannot be restored here, for a reason its manifest gives (as opposed to damaged bytes). */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Validates a manifest read from an archive; a newer format is refused by name. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ManifestError('its manifest is not JSON');
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    throw new ManifestError(`it is format version ${version}, newer than this Certainty reads (${FORMAT_VERSION}); restore it with the version that wrote it or newer`);
  }
  if (version === 1) {
    throw new ManifestError(
      'it is format version 1, written before archives carried a MAC, so nothing shows it was not altered and this Certainty does not restore it; take a new backup (if this is the only one, only the version named by certaintyVersion in its manifest restores it, without that protection)',
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(`its manifest is invalid (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown'})`);
  }
  return parsed.data;
}
