/** A secret's value: named fields (e.g. `password`, `user`), each a string. */
export type SecretData = Record<string, string>;

/** What may be done to a path. `read` reveals values; `read-metadata` and `list` never do. `deny` overrides every grant. */
export const CAPABILITIES = ['list', 'read-metadata', 'read', 'create', 'update', 'patch', 'delete', 'destroy', 'deny'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export function isCapability(value: string): value is Capability {
  return (CAPABILITIES as readonly string[]).includes(value);
}

/** How a generated secret is made: `length` characters drawn from `charset`, into `field`. */
export interface GeneratorSpec {
  field: string;
  length: number;
  charset: CharsetName;
}

export const CHARSETS = {
  /** Letters, digits and `-_.,:+@%`: nothing a shell, a libpq conninfo or an ini file gives a meaning to, even unquoted. */
  'shell-safe': 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.,:+@%',
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  /** Every printable ASCII character but space: strongest per character, for consumers that quote properly. */
  printable: '!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~',
} as const;
export type CharsetName = keyof typeof CHARSETS;

/** Per-path settings (Vault KV v2's metadata, plus reveal reasons, honeytokens and rotation). */
export interface SecretSettings {
  /** Versions kept; older ones are removed on write. */
  maxVersions: number;
  /** Writes must carry `cas`. */
  casRequired: boolean;
  /** Versions older than this are deleted (soft); 0 = never. */
  deleteVersionAfterMs: number;
  /** A reveal must give a reason, recorded in the audit. */
  revealReasonRequired: boolean;
  /** A decoy: revealing it raises an alert (audit record and webhook). */
  honeytoken: boolean;
  customMetadata: Record<string, string>;
  /** Set for generated secrets: how `rotate` makes the next value. */
  generator: GeneratorSpec | null;
  /** Rotation period of a generated secret; 0 = only on demand. */
  rotateEveryMs: number;
}

interface VersionInfo {
  version: number;
  createdAt: number;
  createdBy: string;
  deletedAt: number | null;
  destroyed: boolean;
}

/** A path's metadata: never a value. */
export interface SecretMetadata extends SecretSettings {
  path: string;
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
  nextRotationAt: number | null;
  versions: VersionInfo[];
}

/** One path in a listing. */
export interface SecretListing {
  path: string;
  currentVersion: number;
  updatedAt: number;
}

/** A revealed version. */
export interface SecretVersion {
  path: string;
  version: number;
  createdAt: number;
  data: SecretData;
}

export interface PolicyRule {
  /** Glob over paths: `*` within one segment, `**` across segments. */
  path: string;
  capabilities: Capability[];
}

export interface Policy {
  name: string;
  rules: PolicyRule[];
  /** Token ids it is attached to. */
  tokens: string[];
}

/** Who acts: a token of the admin API, or the operator at the CLI (who may do everything). */
export interface SecretCaller {
  /** `token:<id>` or `cli:<user>`: what audit records name. */
  actor: string;
  /** The admin API token's id; undefined at the CLI. */
  tokenId: string | undefined;
  /** Admins (and the CLI) may do everything; other tokens only what their policies grant. */
  admin: boolean;
}
