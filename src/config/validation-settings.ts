import { PATHS } from '../acme/linker.ts';
import { isLoopbackIp } from '../ca/ip.ts';
import { publicBaseUrl, splitListen } from './urls.ts';
import { acceptedHost, hostPolicy } from './hosts.ts';
import { EgressPolicy } from '../validation/egress.ts';
import type { IdentifierGate, ValidationSettings } from '../validation/settings.ts';
import type { Config } from './schema.ts';

/** `localhost` and its subdomains (RFC 6761 §6.3 reserves them for loopback), or a loopback address. */
function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare.endsWith('.localhost') || isLoopbackIp(bare);
}

/**
 * Whether validation may connect to loopback addresses. `auto` allows it only when the ACME API
 * itself is reachable from this machine alone: listener on loopback, and nothing suggesting a
 * reverse proxy on this machine passes remote clients to it (an externalUrl, trustedProxies or a
 * TLS name that is not loopback). Every client can then reach this machine's loopback services by
 * itself, so validating against them gives nobody anything new, and `certbot --standalone` on the
 * same machine works. Behind a proxy, a remote client could point its DNS at 127.0.0.1 and make
 * the CA probe local ports, so `auto` denies it.
 */
export function loopbackAllowed(config: Pick<Config, 'listen' | 'externalUrl' | 'validation' | 'server' | 'tls'>): boolean {
  const mode = config.validation.egress.loopback;
  if (mode !== 'auto') return mode === 'allow';
  const external = config.externalUrl === undefined ? undefined : new URL(config.externalUrl).hostname;
  return (
    isLoopbackHost(splitListen(config.listen).host) &&
    (external === undefined || isLoopbackHost(external)) &&
    config.server.trustedProxies.length === 0 &&
    config.tls.names.every(isLoopbackHost)
  );
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
