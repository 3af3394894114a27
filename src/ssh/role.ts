import { parseDuration } from '../duration.ts';
import { AppError } from '../errors.ts';
import { SSH_KEY_FAMILIES, type SshKeyFamily } from './keys.ts';
import type { SshRequester, SshRole } from './types.ts';

/** The extensions OpenSSH knows (PROTOCOL.certkeys); others must be `name@domain` to be allowed. */
const KNOWN_EXTENSIONS = ['no-touch-required', 'permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc'];
export const KNOWN_CRITICAL_OPTIONS = ['force-command', 'source-address', 'verify-required'];
const USER_DEFAULT_EXTENSIONS = ['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc'];
/** No role signs for more than a year: a certificate is not revocable by expiry if it never expires. */
const MAX_TTL_CEILING_MS = 366 * 86_400_000;

const malformed = (detail: string): AppError => new AppError('malformed', detail);

function strings(spec: Record<string, unknown>, key: string, fallback: string[]): string[] {
  const v = spec[key];
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 255 && !/[\s,]/.test(x))) {
    throw malformed(`"${key}" must be a list of names without spaces or commas`);
  }
  return [...new Set(v as string[])];
}

function duration(spec: Record<string, unknown>, key: string, fallback: number): number {
  const v = spec[key];
  if (v === undefined) return fallback;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseDurationOrUndefined(v) : undefined;
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) throw malformed(`"${key}" must be a duration such as 8h or 30m`);
  return ms;
}

function parseDurationOrUndefined(text: string): number | undefined {
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

function checkExtensionNames(names: string[], key: string): void {
  for (const n of names) {
    if (!KNOWN_EXTENSIONS.includes(n) && !/^[\w.-]+@[\w.-]+$/.test(n)) throw malformed(`"${key}": unknown extension "${n}"; use one of ${KNOWN_EXTENSIONS.join(', ')} or a name@domain extension`);
  }
}

function checkOptions(options: Record<string, string>, names: string[]): void {
  for (const n of [...Object.keys(options), ...names]) {
    if (!KNOWN_CRITICAL_OPTIONS.includes(n)) throw malformed(`unknown critical option "${n}"; use ${KNOWN_CRITICAL_OPTIONS.join(', ')}`);
  }
}

/** A role from its JSON spec (what `PUT /admin/ssh/roles/NAME` and `ssh role put` take), defaults filled, every rule checked. */
export function parseRole(name: string, spec: Record<string, unknown>): SshRole {
  if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)) throw malformed('A role name is 1 to 63 lowercase letters, digits, ".", "_" or "-"');
  const kind = spec.kind ?? 'user';
  if (kind !== 'user' && kind !== 'host') throw malformed('"kind" must be "user" or "host"');
  const principals = strings(spec, 'principals', []);
  const allowedDomains = strings(spec, 'allowedDomains', []).map((d) => d.toLowerCase());
  // CVE-2024-7594: a certificate with no principals is valid for every user.
  if (kind === 'user' && principals.length === 0) throw malformed('A user role needs at least one principal: a certificate with none would be valid for every user');
  if (kind === 'host' && principals.length === 0 && allowedDomains.length === 0) throw malformed('A host role needs "allowedDomains" or fixed "principals"');
  if (principals.includes('*')) throw malformed('"*" is not a principal: list the user names');
  const defaultExtensions = kind === 'host' ? [] : strings(spec, 'defaultExtensions', USER_DEFAULT_EXTENSIONS);
  const allowedExtensions = kind === 'host' ? [] : strings(spec, 'allowedExtensions', defaultExtensions);
  checkExtensionNames([...defaultExtensions, ...allowedExtensions], 'extensions');
  const criticalOptions = spec.criticalOptions ?? {};
  if (typeof criticalOptions !== 'object' || criticalOptions === null || Array.isArray(criticalOptions) || !Object.values(criticalOptions).every((v) => typeof v === 'string')) {
    throw malformed('"criticalOptions" must be an object of option name to text');
  }
  const allowedCriticalOptions = strings(spec, 'allowedCriticalOptions', []);
  if (kind === 'host' && (Object.keys(criticalOptions).length > 0 || allowedCriticalOptions.length > 0)) throw malformed('Host certificates carry no critical options');
  checkOptions(criticalOptions as Record<string, string>, allowedCriticalOptions);
  const keyTypes = strings(spec, 'keyTypes', [...SSH_KEY_FAMILIES]);
  for (const t of keyTypes) if (!(SSH_KEY_FAMILIES as readonly string[]).includes(t)) throw malformed(`"keyTypes": unknown key type "${t}"; use ${SSH_KEY_FAMILIES.join(', ')}`);
  const minRsaBits = spec.minRsaBits ?? 3072;
  if (typeof minRsaBits !== 'number' || !Number.isInteger(minRsaBits) || minRsaBits < 2048) throw malformed('"minRsaBits" must be a whole number of at least 2048');
  const maxTtlMs = duration(spec, 'maxTtl', kind === 'user' ? 86_400_000 : 30 * 86_400_000);
  const ttlMs = duration(spec, 'ttl', Math.min(maxTtlMs, kind === 'user' ? 8 * 3_600_000 : 7 * 86_400_000));
  if (maxTtlMs > MAX_TTL_CEILING_MS || ttlMs === 0 || ttlMs > maxTtlMs) throw malformed('"ttl" must be positive and at most "maxTtl", which is at most 366d');
  const backdateMs = duration(spec, 'backdate', 60_000);
  if (backdateMs > 3_600_000) throw malformed('"backdate" is at most 1h');
  const keyIdTemplate = spec.keyIdTemplate ?? '{{token.name}}:{{role}}:{{serial}}';
  if (typeof keyIdTemplate !== 'string' || keyIdTemplate.length === 0 || keyIdTemplate.length > 255) throw malformed('"keyIdTemplate" must be text of 1 to 255 characters');
  const tokens = strings(spec, 'tokens', []);
  return {
    name, kind, principals, allowedDomains, defaultExtensions, allowedExtensions, criticalOptions: criticalOptions as Record<string, string>, allowedCriticalOptions,
    keyTypes: keyTypes as SshKeyFamily[], minRsaBits, ttlMs, maxTtlMs, backdateMs, keyIdTemplate, tokens,
  };
}

/** Expands `{{token.name}}` and `{{token.id}}`; a name that would contain characters sshd cannot match is refused. */
export function expandTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/** The role's principals as this requester may use them. */
export function allowedPrincipals(role: SshRole, who: SshRequester): string[] {
  return role.principals.map((p) => expandTemplate(p, { 'token.name': who.tokenName, 'token.id': who.tokenId }));
}

/** Whether a host name is one of the role's domains or under one. */
export function inAllowedDomains(role: SshRole, host: string): boolean {
  const h = host.toLowerCase();
  return role.allowedDomains.some((d) => h === d || h.endsWith(`.${d}`));
}
