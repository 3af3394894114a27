import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { configSchema, DEFAULTS, type Config } from './schema.ts';

/** Environment variables and the config key each sets. Values are parsed as the key's type. */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  CERTAINTY_DATA_DIR: 'dataDir',
  CERTAINTY_LISTEN: 'listen',
  CERTAINTY_EXTERNAL_URL: 'externalUrl',
  CERTAINTY_LOG_LEVEL: 'log.level',
  CERTAINTY_LOG_FORMAT: 'log.format',
  CERTAINTY_DATABASE_URL: 'database.url',
  CERTAINTY_DATABASE_POOL_SIZE: 'database.poolSize',
  CERTAINTY_KEK_FILE: 'kek.file',
  CERTAINTY_KEK_PASSPHRASE: 'kek.passphrase',
  CERTAINTY_KEK_PREVIOUS_FILE: 'kek.previousFile',
  CERTAINTY_KEK_PREVIOUS_PASSPHRASE: 'kek.previousPassphrase',
  CERTAINTY_TLS: 'tls.enabled',
  CERTAINTY_TLS_CERT_FILE: 'tls.certFile',
  CERTAINTY_TLS_KEY_FILE: 'tls.keyFile',
  CERTAINTY_TLS_NAMES: 'tls.names',
  CERTAINTY_CA_ALGORITHM: 'ca.algorithm',
  CERTAINTY_CA_IMPORT_CERT_FILE: 'ca.importCertFile',
  CERTAINTY_CA_IMPORT_KEY_FILE: 'ca.importKeyFile',
  CERTAINTY_POLICY_ALLOWED_DOMAINS: 'policy.allowedDomains',
  CERTAINTY_POLICY_ALLOWED_IP_RANGES: 'policy.allowedIpRanges',
  CERTAINTY_EAB_REQUIRED: 'acme.externalAccountRequired',
  CERTAINTY_VALIDATION_DNS: 'validation.dnsServer',
  CERTAINTY_HTTP01_PORT: 'validation.http01Port',
  CERTAINTY_TLSALPN01_PORT: 'validation.tlsAlpn01Port',
  CERTAINTY_VALIDATION_TIMEOUT_MS: 'validation.timeoutMs',
  CERTAINTY_RATE_LIMIT_ACCOUNTS_PER_ADDRESS: 'rateLimits.accountsPerAddress',
  CERTAINTY_TRUSTED_PROXIES: 'server.trustedProxies',
  CERTAINTY_ADMIN_LISTEN: 'admin.listen',
  CERTAINTY_ADMIN_CLIENT_AUTH: 'admin.clientAuth',
  CERTAINTY_VALIDATION_EGRESS_DENY: 'validation.egress.deny',
  CERTAINTY_VALIDATION_EGRESS_ALLOW: 'validation.egress.allow',
  CERTAINTY_VALIDATION_EGRESS_LOOPBACK: 'validation.egress.loopback',
  CERTAINTY_DRAIN_DELAY_MS: 'server.drainDelayMs',
  CERTAINTY_WORKERS: 'server.workers',
  CERTAINTY_LEASE_TTL_MS: 'cluster.leaseTtlMs',
  CERTAINTY_HOUSEKEEPING_PERIOD_MS: 'cluster.housekeepingPeriodMs',
  CERTAINTY_CRL_PERIOD_MS: 'cluster.crlPeriodMs',
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** A value of the key's type: its default, or for a key without one (optional), a sample of its schema's type. */
function typeAt(path: string): unknown {
  let node: unknown = DEFAULTS;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node ?? schemaSample(path);
}

const SAMPLES: Readonly<Record<string, unknown>> = { number: 0, boolean: false, array: [], object: {} };

function schemaSample(path: string): unknown {
  let node: z.ZodType | undefined = configSchema;
  for (const part of path.split('.')) {
    if (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
    node = node instanceof z.ZodObject ? (node.shape as Record<string, z.ZodType | undefined>)[part] : undefined;
    if (node === undefined) return undefined;
  }
  if (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
  return SAMPLES[node.type];
}

/** Parses a text value (env or --set) into the type the key's default has. */
function parseValue(path: string, text: string): Json {
  const sample = typeAt(path);
  if (typeof sample === 'number') {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new ConfigError(`${path} must be a number (got "${text}")`);
    return n;
  }
  if (typeof sample === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
    throw new ConfigError(`${path} must be true or false (got "${text}")`);
  }
  if (Array.isArray(sample)) return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (sample !== null && typeof sample === 'object') {
    try {
      return JSON.parse(text) as Json;
    } catch {
      throw new ConfigError(`${path} must be a JSON object`);
    }
  }
  return text;
}

function setPath(target: Record<string, Json>, path: string, value: Json): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, Json>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function merge(base: Json, over: Json): Json {
  if (over === null || typeof over !== 'object' || Array.isArray(over)) return over;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return over;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k] as Json, v) : v;
  return out;
}

export interface ConfigSources {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** `key=value` pairs from `--set` and dedicated flags, applied last. */
  overrides?: Array<[string, string]>;
}

/** Loads the config once: defaults, then the file, then environment, then flags; fails naming the key. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  let merged = DEFAULTS as unknown as Json;
  const file = sources.file ?? env.CERTAINTY_CONFIG;
  if (file !== undefined && file !== '') merged = merge(merged, readConfigFile(file));
  const layer: Record<string, Json> = {};
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(layer, path, parseValue(path, value));
  }
  for (const [path, value] of sources.overrides ?? []) setPath(layer, path, parseValue(path, value));
  merged = merge(merged, layer);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = [...i.path, ...('keys' in i ? [(i.keys as string[]).join(', ')] : [])].join('.');
      return `  ${key || '(root)'}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  config.dataDir = resolve(config.dataDir);
  if (config.kek.file !== undefined && !isAbsolute(config.kek.file)) config.kek.file = resolve(config.kek.file);
  if (config.kek.previousFile !== undefined && !isAbsolute(config.kek.previousFile)) config.kek.previousFile = resolve(config.kek.previousFile);
  if (config.policy.defaultValidityDays > config.policy.maxValidityDays) {
    throw new ConfigError('invalid configuration:\n  policy.defaultValidityDays: must not exceed policy.maxValidityDays');
  }
  if ((config.tls.certFile === undefined) !== (config.tls.keyFile === undefined)) {
    throw new ConfigError('invalid configuration:\n  tls.certFile and tls.keyFile must be set together');
  }
  return config;
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
