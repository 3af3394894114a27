import { BlockList } from 'node:net';
import { PATHS } from '../acme/linker.ts';
import { publicBaseUrl, splitListen } from '../context.ts';
import { acceptedHost, hostPolicy } from '../http/hosts.ts';
import { EgressPolicy } from '../validation/egress.ts';
import type { IdentifierGate, ValidationSettings } from '../validation/settings.ts';
import type { Config } from './schema.ts';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  return LOOPBACK.check(bare, bare.includes(':') ? 'ipv6' : 'ipv4');
}

/**
 * Whether validation may connect to loopback addresses. `auto` allows it only when the ACME API
 * itself is reachable from this machine alone (listener on loopback, no externalUrl naming another
 * host): every client can then reach this machine's loopback services by itself, so validating
 * against them gives nobody anything new, and `certbot --standalone` on the same machine works.
 * Behind a reverse proxy (externalUrl set to a public name) `auto` denies it.
 */
export function loopbackAllowed(config: Pick<Config, 'listen' | 'externalUrl' | 'validation'>): boolean {
  const mode = config.validation.egress.loopback;
  if (mode !== 'auto') return mode === 'allow';
  const external = config.externalUrl === undefined ? undefined : new URL(config.externalUrl).hostname;
  return isLoopbackHost(splitListen(config.listen).host) && (external === undefined || isLoopbackHost(external));
}

/** The validation settings a node runs with: ports, resolver, deadline, egress and redirect policy. */
export function validationSettings(config: Config, redirectHosts: IdentifierGate): ValidationSettings {
  const { deny, allow } = config.validation.egress;
  return {
    dnsServer: config.validation.dnsServer,
    http01Port: config.validation.http01Port,
    tlsAlpn01Port: config.validation.tlsAlpn01Port,
    timeoutMs: config.validation.timeoutMs,
    egress: new EgressPolicy({ deny, allow, allowLoopback: loopbackAllowed(config) }),
    redirectHosts,
  };
}

/**
 * Whether `uri` is the URL of account `accountId` as this server hands it out (RFC 8657 §3 compares
 * a CAA `accounturi` with it as a string). With externalUrl there is one such URL; without it the
 * URL is built from the request's Host, so any host the listener serves, on any port, counts, in
 * the exact form the server writes it.
 */
export function accountUriMatcher(config: Config): (uri: string, accountId: string) => boolean {
  const base = publicBaseUrl(config);
  if (config.externalUrl !== undefined) return (uri, id) => uri === `${base}${PATHS.account}${id}`;
  const hosts = hostPolicy({ tlsNames: config.tls.names, listenHost: splitListen(config.listen).host, publicUrl: base });
  const scheme = config.tls.enabled ? 'https:' : 'http:';
  return (uri, id) => {
    let url: URL;
    try {
      url = new URL(uri);
      acceptedHost(hosts, url.host);
    } catch {
      return false;
    }
    return url.protocol === scheme && uri === `${url.protocol}//${url.host}${PATHS.account}${id}`;
  };
}
