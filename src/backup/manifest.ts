import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The archive format this code writes; readers accept this version only (a newer one is refused). */
export const FORMAT = 'certainty-backup';
export const FORMAT_VERSION = 1;

/** The archive member names. The manifest comes first so a reader knows what follows. */
export const MANIFEST_NAME = 'manifest.json';
export const PAYLOAD_NAMES = { sqlite: 'certainty.db', postgres: 'certainty.pgdump' } as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const manifestSchema = z.strictObject({
  format: z.literal(FORMAT),
  formatVersion: z.number().int().positive(),
  certaintyVersion: z.string(),
  schemaVersion: z.number().int().positive(),
  dialect: z.enum(['sqlite', 'postgres']),
  createdAt: z.iso.datetime(),
  nodeId: z.string().nullable(),
  source: z.string(),
  /** SHA-256 of the `kek.check` setting: which KEK the archive needs, without revealing it. */
  kekVerifier: hex64,
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

/** An archive whose manifest cannot be used (as opposed to damaged bytes). */
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
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(`its manifest is invalid (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown'})`);
  }
  return parsed.data;
}

/** The fingerprint stored as `kekVerifier`. */
export function verifierFingerprint(check: string): string {
  return createHash('sha256').update(check, 'utf8').digest('hex');
}
