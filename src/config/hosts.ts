/**
 * Which Host header values the listener answers. Without `externalUrl` the ACME URLs are built
 * from the Host header, so a foreign Host would be reflected into the directory, Location and
 * Link headers; such requests are answered 421 Misdirected Request (RFC 9110 §15.5.20) instead.
 */
import { AppError } from '../errors.ts';

/** Host names this listener serves, normalised as WHATWG URL hostnames (IPv6 in brackets). */
export interface HostPolicy {
  readonly names: readonly string[];
}

/** The normalised hostname of `name`, `name:port` or `[v6]:port`, or undefined when it is not one. */
function hostnameOf(host: string, pattern: RegExp): string | undefined {
  // Only host and port characters: no userinfo, path or query can ride along into URLs.
  if (!pattern.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

const HOST_HEADER = /^[A-Za-z0-9.\-_[\]:]+$/;
/** Configured names may also be `*.` wildcards. */
const CONFIGURED_NAME = /^(\*\.)?[A-Za-z0-9.\-_[\]:]+$/;

/** A configured name (DNS name, `*.` wildcard, IPv4 or bare IPv6) as a URL hostname. */
function normaliseName(name: string): string | undefined {
  return hostnameOf(name.includes(':') && !name.startsWith('[') ? `[${name}]` : name, CONFIGURED_NAME);
}

/** The accepted names: the listener's TLS names, its listen host (unless a wildcard address) and the public URL's host. */
export function hostPolicy(input: { tlsNames: readonly string[]; listenHost: string; publicUrl: string }): HostPolicy {
  const wildcardAddress = input.listenHost === '0.0.0.0' || input.listenHost === '::';
  const names = [...input.tlsNames, ...(wildcardAddress ? [] : [input.listenHost]), new URL(input.publicUrl).hostname]
    .map(normaliseName)
    .filter((n): n is string => n !== undefined);
  return { names: [...new Set(names)] };
}

function matches(pattern: string, hostname: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === hostname;
  // A wildcard covers exactly one label, as on a certificate (RFC 6125 §6.4.3).
  const dot = hostname.indexOf('.');
  return dot > 0 && hostname.slice(dot) === pattern.slice(1);
}

/**
 * The Host header's `host[:port]` when the listener serves it, undefined when there is none
 * (HTTP/1.0); throws misdirectedRequest for any other host. Any port is accepted: a port
 * forward or proxy may change it, and a port alone cannot point clients at another machine.
 */
export function acceptedHost(policy: HostPolicy, header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const hostname = hostnameOf(header, HOST_HEADER);
  if (hostname !== undefined && policy.names.some((n) => matches(n, hostname))) return new URL(`http://${header}`).host;
  throw new AppError('misdirectedRequest', `This server does not serve the host in the Host header; use one of: ${policy.names.join(', ')} (operators add names with tls.names or externalUrl)`);
}
