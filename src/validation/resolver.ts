import type { CaaRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '../errors.ts';
import type { ValidationSettings } from './settings.ts';

/** The DNS lookups validation needs. Failures are AppError('dns') with a Boulder-style detail. */
export interface ValidationResolver {
  /** IPv4 addresses first, then IPv6. An IP literal resolves to itself. Throws when there are none. */
  resolveAddresses(name: string): Promise<string[]>;
  /** TXT records, each as its list of character-strings; [] when the name exists without TXT records. */
  resolveTxt(name: string): Promise<string[][]>;
  /**
   * CAA records (RFC 8659), each as Node gives it: `critical` (the flags octet) and one property
   * named by its tag. [] when the name has none or does not exist (NXDOMAIN), so a caller can climb
   * to the parent domain.
   */
  resolveCaa(name: string): Promise<CaaRecord[]>;
}

type RrType = 'A' | 'AAAA' | 'TXT' | 'CAA';

/** c-ares retries per query; each try gets a share of the deadline so a lost UDP packet is not fatal. */
const TRIES = 3;

/** Builds a resolver that queries `settings.dnsServer` (or the system's servers) with a deadline. */
export function createResolver(settings: Pick<ValidationSettings, 'dnsServer' | 'timeoutMs'>): ValidationResolver {
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(settings.timeoutMs / TRIES)), tries: TRIES });
  if (settings.dnsServer !== undefined) resolver.setServers([normalizeDnsServer(settings.dnsServer)]);
  // ENODATA (the name exists, no records of this type) is an empty answer, not a failure.
  const query = <T>(rrtype: RrType, name: string, run: () => Promise<T[]>): Promise<T[]> =>
    withDeadline(run(), settings.timeoutMs).catch((err: unknown) => {
      if (errorCode(err) === 'ENODATA') return [];
      throw dnsProblem(err, rrtype, name);
    });

  return {
    async resolveAddresses(name) {
      if (isIP(name) !== 0) return [name];
      const results = await Promise.allSettled([
        query('A', name, () => resolver.resolve4(name)),
        query('AAAA', name, () => resolver.resolve6(name)),
      ]);
      const addresses = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      if (addresses.length > 0) return addresses;
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      throw new AppError('dns', `DNS problem: No valid IP addresses found for ${name}`);
    },
    async resolveTxt(name) {
      return query('TXT', name, () => resolver.resolveTxt(name));
    },
    async resolveCaa(name) {
      const nxdomainIsEmpty = (err: unknown): CaaRecord[] => {
        if (errorCode(err) === 'ENOTFOUND') return [];
        throw err;
      };
      return query('CAA', name, () => resolver.resolveCaa(name).catch(nxdomainIsEmpty));
    },
  };
}

/**
 * Accepts "ip", "ip:port", "[ipv6]" and "[ipv6]:port"; returns the form `Resolver.setServers` takes.
 * A bad value is a configuration mistake, reported at start-up with the setting's name.
 */
export function normalizeDnsServer(server: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server);
  const plain = /^([^:]+)(?::(\d{1,5}))?$/.exec(server);
  let host: string | undefined;
  let port: string | undefined;
  if (bracketed !== null) [, host, port] = bracketed;
  else if (isIP(server) === 6) host = server;
  else if (plain !== null) [, host, port] = plain;
  const family = host === undefined ? 0 : isIP(host);
  if (host === undefined || family === 0 || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
    throw new Error(`validation dnsServer must be "ip:port" or "[ipv6]:port", got "${server}"`);
  }
  const hostPart = family === 6 ? `[${host}]` : host;
  return port === undefined ? hostPart : `${hostPart}:${port}`;
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('DNS query timed out'), { code: 'ETIMEOUT' })), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps c-ares error codes to the wording Let's Encrypt clients already know (Boulder `bdns/problem.go`). */
function dnsProblem(err: unknown, rrtype: RrType, name: string): AppError {
  const lookingUp = `looking up ${rrtype} for ${name}`;
  let detail: string;
  switch (errorCode(err)) {
    case 'ENOTFOUND':
      detail = `NXDOMAIN ${lookingUp} - check that a DNS record exists for this domain`;
      break;
    case 'ESERVFAIL':
      detail = `SERVFAIL ${lookingUp} - the domain's nameservers may be malfunctioning`;
      break;
    case 'EREFUSED':
      detail = `REFUSED ${lookingUp} - the resolver refused the query`;
      break;
    case 'ETIMEOUT':
      detail = `query timed out ${lookingUp}`;
      break;
    default:
      detail = `networking error ${lookingUp}`;
  }
  return new AppError('dns', `DNS problem: ${detail}`, { cause: err });
}
