import { z } from 'zod';
import { AUDIT_DEFAULTS, auditConfigSchema } from '../audit/config.ts';
import { parseCidr } from '../ca/ip.ts';
import { TOKEN_ROLES } from '../admin/roles.ts';
import { DEFAULT_EGRESS_DENY } from '../validation/egress.ts';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8443 or [::1]:8443');
const port = z.number().int().min(1).max(65535);
const positive = z.number().int().positive();
const limit = z.strictObject({ limit: z.number().int().min(0), windowSeconds: positive });
/** An address or CIDR range, e.g. 10.0.0.0/8 or 2001:db8::/32. */
const cidr = z.string().refine((text) => parseCidr(text) !== undefined, 'expected an IP address or CIDR range, e.g. 10.0.0.0/8 or 2001:db8::/32');

/** The whole configuration. Unknown keys are rejected everywhere. docs/configuration.md lists every key. */
export const configSchema = z.strictObject({
  dataDir: z.string().min(1),
  listen: hostPort,
  externalUrl: z.url().optional(),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), format: z.enum(['auto', 'json', 'pretty']) }),
  database: z.strictObject({
    url: z.string().optional(),
    poolSize: positive,
    connectTimeoutSeconds: positive,
    statementTimeoutMs: positive,
    sqliteSynchronous: z.enum(['full', 'normal']),
  }),
  kek: z.strictObject({
    file: z.string().optional(),
    passphrase: z.string().min(12, 'kek.passphrase must be at least 12 characters').optional(),
    previousFile: z.string().optional(),
    previousPassphrase: z.string().optional(),
  }),
  tls: z.strictObject({
    enabled: z.boolean(),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    names: z.array(z.string().min(1)).min(1),
    validityDays: positive,
  }),
  ca: z.strictObject({
    name: z.string().min(1).max(48),
    algorithm: z.enum(['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096']),
    rootValidityDays: positive,
    intermediateValidityDays: positive,
    importCertFile: z.string().optional(),
    importKeyFile: z.string().optional(),
    crlLifetimeHours: positive,
    /** 1: one complete CRL per issuer; above 1, new certificates are spread over this many partitioned CRLs. */
    crlShards: z.number().int().min(1).max(1024),
  }),
  policy: z.strictObject({
    allowedDomains: z.array(z.string().min(1)),
    allowedIpRanges: z.array(z.string().min(1)),
    allowWildcards: z.boolean(),
    defaultValidityDays: positive,
    maxValidityDays: positive,
    maxBackdateSeconds: z.number().int().min(0).max(86_400),
    allowedCurves: z.array(z.enum(['P-256', 'P-384', 'P-521'])),
    minRsaBits: z.number().int().min(1024),
    maxRsaBits: z.number().int().max(16384),
    maxIdentifiersPerOrder: z.number().int().min(1).max(1000),
  }),
  acme: z.strictObject({
    termsOfService: z.url().optional(),
    website: z.url().optional(),
    // Compared with the issuer domain name of CAA issue/issuewild properties (RFC 8659 §4.2).
    caaIdentities: z.array(z.string().regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i, 'expected an issuer domain name, e.g. ca.example.com')),
    externalAccountRequired: z.boolean(),
    orderLifetimeSeconds: positive,
    nonceLifetimeSeconds: positive,
    retryAfterSeconds: positive,
    challengeWaitMs: z.number().int().min(0).max(30_000),
    maxBodyBytes: positive,
    ariWindowPercent: z.number().min(1).max(50),
  }),
  validation: z.strictObject({
    dnsServer: hostPort.optional(),
    http01Port: port,
    tlsAlpn01Port: port,
    timeoutMs: positive,
    concurrency: positive,
    concurrencyPerAccount: positive,
    maxAttempts: positive,
    egress: z.strictObject({
      deny: z.array(cidr),
      allow: z.array(cidr),
      loopback: z.enum(['auto', 'allow', 'deny']),
    }),
  }),
  rateLimits: z.strictObject({
    ordersPerAccount: limit,
    certificatesPerName: limit,
    failedValidationsPerAccount: limit,
    pendingValidationsPerAccount: positive,
    accountsPerAddress: limit,
  }),
  audit: auditConfigSchema,
  lifecycle: z.strictObject({
    /** How often the scheduler looks for managed certificates due for renewal or an ARI poll. */
    checkPeriodMs: z.number().int().min(1000).max(86_400_000),
    /** Timeout of one request to an upstream CA. */
    upstreamTimeoutMs: z.number().int().min(1000).max(300_000),
    /** How long one upstream order may take (validation included) before the attempt counts as failed. */
    orderTimeoutMs: z.number().int().min(5000).max(3_600_000),
    /** ARI is asked again at the latest after this long, whatever the CA's Retry-After says. */
    ariPollMaxMs: z.number().int().min(1000).max(604_800_000),
  }),
  // The secrets store (src/secrets). Not named "secrets": the node.started audit record lists
  // config sections by name, and the audit log refuses detail keys that look like secrets.
  kv: z.strictObject({
    /** Where rotations and honeytoken reveals are POSTed (HMAC-signed); unset: no webhook. */
    webhookUrl: z.url().optional(),
    /** The HMAC-SHA256 signing key of the webhook (a file, read at start; required with webhookUrl). */
    webhookKeyFile: z.string().optional(),
    webhookTimeoutMs: z.number().int().min(100).max(60_000),
  }),
  cluster: z.strictObject({
    leaseTtlMs: z.number().int().min(3000).max(600_000),
    jobClaimMs: z.number().int().min(2000).max(600_000),
    housekeepingPeriodMs: z.number().int().min(1000).max(86_400_000),
    crlPeriodMs: z.number().int().min(1000).max(86_400_000),
  }),
  server: z.strictObject({
    /** Unset: chosen at start from the database (src/config/drain-delay.ts). */
    drainDelayMs: z.number().int().min(0).optional(),
    /** Processes sharing the listener (src/workers.ts); `auto` = the CPUs available. Unset: 1, no worker processes. */
    workers: z.preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
      z.union([z.number().int().min(1).max(256), z.literal('auto')], { error: 'expected a number of processes from 1 to 256, or "auto"' }),
    ).optional(),
    shutdownTimeoutMs: positive,
    requestTimeoutMs: positive,
    trustedProxies: z.array(cidr),
  }),
  /** The admin API's own listener; unset `listen`: /admin and /metrics share the ACME listener. */
  admin: z.strictObject({
    listen: hostPort.optional(),
    /** Names in the admin listener's certificate (issued by this CA); unset: tls.names. */
    names: z.array(z.string().min(1)).min(1).optional(),
    /** Client certificates issued by this CA: not asked for, checked when presented, or required at the TLS handshake. */
    clientAuth: z.enum(['none', 'optional', 'require']),
    /** With client certificates: the names (SAN or CN) an admin client certificate must carry; unset: any certificate of this CA. */
    clientNames: z.array(z.string().min(1)).min(1).optional(),
  }),
  /** The web console (docs/console.md); sign-in by admin token always, by OpenID Connect when `oidc` is set. */
  console: z.strictObject({
    /** The directory `certainty drill` writes its HTML reports to, listed on the console's drill reports page; unset: none. */
    drillReports: z.string().min(1).optional(),
    oidc: z.strictObject({
      issuer: z.url(),
      clientId: z.string().min(1),
      clientSecretFile: z.string().min(1),
      groupsClaim: z.string().min(1).default('groups'),
      /** Group → built-in role; the first group listed here that the user is in decides. Also `group=role,group=role` (environment). */
      roleMap: z.preprocess(
        (v) => (typeof v === 'string' ? Object.fromEntries(v.split(',').filter((p) => p.includes('=')).map((p) => p.split('=').map((x) => x.trim()))) : v),
        z.record(z.string(), z.enum(TOKEN_ROLES)).refine((m) => Object.keys(m).length > 0, 'map at least one group to a role, e.g. {"pki-admins": "admin"}'),
      ),
    }).optional(),
  }),
});

export type Config = z.infer<typeof configSchema>;

/** Defaults for every key that has one. */
export const DEFAULTS: Config = {
  dataDir: './certainty-data',
  listen: '127.0.0.1:8443',
  log: { level: 'info', format: 'auto' },
  database: { poolSize: 10, connectTimeoutSeconds: 5, statementTimeoutMs: 15000, sqliteSynchronous: 'full' },
  kek: {},
  tls: { enabled: true, names: ['localhost', '127.0.0.1', '::1'], validityDays: 30 },
  ca: {
    name: 'Certainty',
    algorithm: 'ecdsa-p256',
    rootValidityDays: 3650,
    intermediateValidityDays: 1825,
    crlLifetimeHours: 168,
    crlShards: 1,
  },
  policy: {
    allowedDomains: [],
    allowedIpRanges: [],
    allowWildcards: true,
    defaultValidityDays: 90,
    maxValidityDays: 397,
    maxBackdateSeconds: 300,
    allowedCurves: ['P-256', 'P-384'],
    minRsaBits: 2048,
    maxRsaBits: 8192,
    maxIdentifiersPerOrder: 100,
  },
  acme: {
    caaIdentities: [],
    externalAccountRequired: false,
    orderLifetimeSeconds: 7 * 86400,
    nonceLifetimeSeconds: 3600,
    retryAfterSeconds: 1,
    challengeWaitMs: 2000,
    maxBodyBytes: 64 * 1024,
    ariWindowPercent: 33,
  },
  validation: { http01Port: 80, tlsAlpn01Port: 443, timeoutMs: 10000, concurrency: 16, concurrencyPerAccount: 4, maxAttempts: 3,
    egress: { deny: [...DEFAULT_EGRESS_DENY], allow: [], loopback: 'auto' },
  },
  rateLimits: {
    ordersPerAccount: { limit: 3000, windowSeconds: 3600 },
    certificatesPerName: { limit: 300, windowSeconds: 7 * 86400 },
    failedValidationsPerAccount: { limit: 100, windowSeconds: 3600 },
    pendingValidationsPerAccount: 100,
    accountsPerAddress: { limit: 20, windowSeconds: 3600 },
  },
  audit: AUDIT_DEFAULTS,
  lifecycle: { checkPeriodMs: 60_000, upstreamTimeoutMs: 30_000, orderTimeoutMs: 300_000, ariPollMaxMs: 86_400_000 },
  kv: { webhookTimeoutMs: 10_000 },
  cluster: { leaseTtlMs: 15_000, jobClaimMs: 10_000, housekeepingPeriodMs: 60_000, crlPeriodMs: 300_000 },
  server: { shutdownTimeoutMs: 15000, requestTimeoutMs: 30000, trustedProxies: [] },
  admin: { clientAuth: 'none' },
  console: {},
};
