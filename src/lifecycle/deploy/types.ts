/**
 * What the lifecycle core hands a deploy target, and the targets an operator can declare.
 * The core stores each managed certificate's targets as `DeclaredTarget` JSON (checked by
 * `targetSpecSchema`, secret values redacted), and for each new revision reveals them and calls
 * `deployTo(spec, material, deps)`
 * (deploy.ts), then `verifyServed` (verify.ts) on the target's `verify` endpoint, if any.
 * docs/lifecycle-targets.md documents every field.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../../errors.ts';

/** One revision of a managed certificate. */
export interface CertificateMaterial {
  /** The managed certificate's name: used in file names, the exec environment and payloads. */
  readonly name: string;
  /** The leaf, PEM. */
  readonly certPem: string;
  /** The intermediates, PEM, the one that signed the leaf first (may be empty). */
  readonly chainPem: string;
  /** The private key, PKCS#8 PEM; only targets that need it receive it. */
  readonly keyPem: string;
  /** Lowercase hex, as `certSerialHex` writes it. */
  readonly serial: string;
  /** Milliseconds since the epoch. */
  readonly notAfter: number;
  /** Lowercase hex SHA-256 of the leaf's DER. */
  readonly fingerprint256: string;
  readonly names: readonly string[];
}

/** What a deploy needs from its caller; kept narrow so the core can pass its own clock and secrets. */
export interface DeployDeps {
  now(): number;
  log: Logger;
  /** Resolves a secret reference (a webhook's HMAC key) to its value; never logged. */
  secret?(ref: string): Promise<string>;
}

/** What a deploy did, in words an operator reads in `managed show` and notifications. */
export interface DeployOutcome {
  /** False when the target already had this material: nothing was written, reloaded or sent. */
  readonly changed: boolean;
  readonly detail: string;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof DAYS)[number];

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a UTC time HH:MM, e.g. 02:30');
/** Deploys happen only inside it; `end` before `start` crosses midnight (22:00–02:00). */
const windowSchema = z.strictObject({
  days: z.array(z.enum(DAYS)).min(1).optional(),
  start: hhmm,
  end: hhmm,
}).refine((w) => w.start !== w.end, 'a maintenance window needs start and end to differ');
export type MaintenanceWindow = z.infer<typeof windowSchema>;

const absolutePath = z.string().regex(/^\/[^\0]*$/, 'expected an absolute path, e.g. /etc/ssl/example.pem');
/** A user or group: a name from /etc/passwd, /etc/group, or a numeric id. */
const principal = z.union([z.number().int().min(0), z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'expected a user/group name or a numeric id')]);
const fileMode = z.string().regex(/^0?[0-7]{3}$/, 'expected an octal mode such as "0640"');
/**
 * A header or environment value: inline (stored wrapped by the KEK, shown as `(secret)`), or a
 * reference into the secrets store (`path` or `path#key`), looked up when a deploy runs.
 */
const secretValue = z.union([z.string(), z.strictObject({ secret: z.string().min(1) })]);
export type SecretValue = z.infer<typeof secretValue>;
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9999');

/** A TLS endpoint that should serve the new certificate after the deploy (closed-loop verification). */
const endpointSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  servername: z.string().min(1).optional(),
  attempts: z.number().int().min(1).max(20).optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
});

const common = {
  window: windowSchema.optional(),
  verify: endpointSchema.optional(),
};

/** Where the PEM files go: any subset of the four, at least one. */
const fileFields = {
  certPath: absolutePath.optional(),
  chainPath: absolutePath.optional(),
  fullchainPath: absolutePath.optional(),
  keyPath: absolutePath.optional(),
  owner: principal.optional(),
  group: principal.optional(),
  /** Mode of the certificate files; default 0644. */
  mode: fileMode.optional(),
  /** Mode of the key file; default 0600. */
  keyMode: fileMode.optional(),
};
const filesSchema = z.strictObject(fileFields);
export type FileSet = z.infer<typeof filesSchema>;
const anyPath = (f: FileSet): boolean => [f.certPath, f.chainPath, f.fullchainPath, f.keyPath].some((p) => p !== undefined);
const NO_PATH = 'name at least one of certPath, chainPath, fullchainPath, keyPath';

const fileTargetSchema = z.strictObject({ type: z.literal('file'), ...fileFields, ...common }).refine(anyPath, NO_PATH);

const execTargetSchema = z.strictObject({
  type: z.literal('exec'),
  /** An absolute path: run directly, never through a shell. */
  command: absolutePath,
  args: z.array(z.string()).max(64).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), secretValue).optional(),
  timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  /** Files written before the command runs; their paths are in its environment. */
  files: filesSchema.refine(anyPath, NO_PATH).optional(),
  ...common,
});

const haproxyTargetSchema = z.strictObject({
  type: z.literal('haproxy'),
  /** The runtime API: a unix socket path, or host:port of a `stats socket ipv4@…` line (keep it on loopback). */
  socket: z.union([absolutePath, hostPort]),
  /** The certificate as HAProxy names it (the path in its `crt` line); the PEM bundle is written there too. */
  crtPath: absolutePath,
  owner: principal.optional(),
  group: principal.optional(),
  /** Mode of the bundle, which holds the key; default 0600. */
  mode: fileMode.optional(),
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
  ...common,
});

const nginxTargetSchema = z.strictObject({
  type: z.literal('nginx'),
  ...fileFields,
  /** nginx's pid file: the master gets SIGHUP. */
  pidFile: absolutePath.optional(),
  /** Or a reload command, run without a shell, e.g. ["/usr/sbin/nginx", "-s", "reload", "-c", "/etc/nginx/nginx.conf"]. */
  reloadCommand: z.array(z.string().min(1)).min(1).max(64).optional(),
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  ...common,
}).refine(anyPath, NO_PATH)
  .refine((t) => (t.pidFile === undefined) !== (t.reloadCommand === undefined), 'name exactly one of pidFile and reloadCommand');

const webhookTargetSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/ }),
  /** The reference of the HMAC key (looked up through the secrets store, never stored here). */
  secretRef: z.string().min(1),
  includePrivateKey: z.boolean().optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), secretValue).optional(),
  /** PEM trust anchors for an https URL; default the system's. */
  trust: z.string().includes('BEGIN CERTIFICATE').optional(),
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
  ...common,
});

/** A target as a deploy receives it: every secret value revealed (src/lifecycle/target-secrets.ts). */
type Revealed<T, K extends string> = Omit<T, K> & { [P in K]?: Record<string, string> };
export type FileTarget = z.infer<typeof fileTargetSchema>;
export type ExecTarget = Revealed<z.infer<typeof execTargetSchema>, 'env'>;
export type HaproxyTarget = z.infer<typeof haproxyTargetSchema>;
export type NginxTarget = z.infer<typeof nginxTargetSchema>;
export type WebhookTarget = Revealed<z.infer<typeof webhookTargetSchema>, 'headers'>;
export type TargetSpec = FileTarget | ExecTarget | HaproxyTarget | NginxTarget | WebhookTarget;
/** A target as declared and stored: secret values inline (redacted once stored) or referenced. */
export type DeclaredTarget = z.infer<typeof targetSpecSchema>;

/** Every target, strict (unknown keys refused), told apart by `type`. */
export const targetSpecSchema = z.discriminatedUnion('type', [
  fileTargetSchema,
  execTargetSchema,
  haproxyTargetSchema,
  nginxTargetSchema,
  webhookTargetSchema,
]);

/** `input` as a target, or an AppError (`malformed`) naming the first wrong field and what it expects. */
export function parseTargetSpec(input: unknown): DeclaredTarget {
  const result = targetSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'target' : `target.${issue.path.join('.')}`;
  throw new AppError('malformed', `${where}: ${issue?.message ?? 'invalid'} (docs/lifecycle-targets.md lists every field)`);
}
