import { isIP } from 'node:net';
import { canonicalIp } from '../ca/ip.ts';
import { AppError } from '../errors.ts';
import { joinHostPort, tryEachAddress } from './address.ts';
import { fetchPinned, MAX_BODY_BYTES, type FetchResult } from './http-fetch.ts';
import { sanitize } from './network-errors.ts';
import type { ValidationResolver } from './resolver.ts';
import type { ValidationSettings } from './settings.ts';
import type { Identifier } from '../ca/identifier.ts';
import type { ChallengeInput, ValidationRecord } from './types.ts';

const DEFAULT_MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** RFC 8555 §8.3: the token is base64url; anything else must not reach a URL path. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * http-01 (RFC 8555 §8.3, RFC 8738 §7 for IP identifiers): GET
 * http://<identifier>/.well-known/acme-challenge/<token> from the identifier's address on the
 * configured port, follow a bounded number of redirects, and compare the body with the key
 * authorization. Returns the record of the first request, the one made to the identifier itself.
 */
export async function validateHttp01(
  input: ChallengeInput,
  settings: ValidationSettings,
  resolver: ValidationResolver,
): Promise<ValidationRecord> {
  const start = challengeUrl(input.identifier, input.token);
  const deadline = Date.now() + settings.timeoutMs;
  const maxRedirects = settings.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let hop: Hop = { url: start, shown: start.href };
  let firstRecord: ValidationRecord | undefined;
  for (let redirects = 0; ; redirects += 1) {
    const { result, record } = await fetchHop(hop, settings, resolver, deadline);
    firstRecord ??= record;
    if (!REDIRECT_STATUSES.has(result.status)) {
      checkResponse(hop, result, input.keyAuthorization);
      return firstRecord;
    }
    if (redirects >= maxRedirects) throw new AppError('connection', `Too many redirects fetching ${start.href}`);
    hop = redirectTarget(hop, result.location, settings);
  }
}

/**
 * One URL to fetch and how problem details name it. A redirect target comes from the response, so
 * only its scheme, host and port are shown: its path and query are bytes the target sent, and
 * nothing a target sends is echoed back to the client.
 */
interface Hop {
  url: URL;
  shown: string;
}

function challengeUrl(identifier: Identifier, token: string): URL {
  if (!TOKEN.test(token)) throw new AppError('malformed', 'The challenge token is not base64url');
  if (identifier.type === 'ip' && canonicalIp(identifier.value) === undefined) {
    throw new AppError('malformed', `"${identifier.value}" is not an IP address`);
  }
  // RFC 8555 §7.1.3: a wildcard can only be proven with dns-01.
  if (identifier.type === 'dns' && (identifier.value.startsWith('*.') || isIP(identifier.value) !== 0)) {
    throw new AppError('malformed', `http-01 cannot validate the dns identifier "${identifier.value}"`);
  }
  const host = isIP(identifier.value) === 6 ? `[${identifier.value}]` : identifier.value;
  return new URL(`http://${host}/.well-known/acme-challenge/${token}`);
}

/**
 * The port a URL is fetched on. Default ports map to the configured ones (Boulder does the same with
 * its httpPort/httpsPort), so a lab whose responders listen elsewhere behaves like production.
 */
function dialPort(url: URL, settings: ValidationSettings): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? settings.tlsAlpn01Port : settings.http01Port;
}

async function fetchHop(
  hop: Hop,
  settings: ValidationSettings,
  resolver: ValidationResolver,
  deadline: number,
): Promise<{ result: FetchResult; record: ValidationRecord }> {
  const { url } = hop;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = dialPort(url, settings);
  const addresses = await resolver.resolveAddresses(hostname);
  const where = (address: string): string => `${joinHostPort(address, port)}: Fetching ${hop.shown}`;
  return tryEachAddress(addresses, { egress: settings.egress, where }, async (address) => ({
    result: await fetchPinned({ url, address, port, deadline, where: where(address) }),
    record: { url: url.href, hostname, port: String(port), addressesResolved: addresses, addressUsed: address },
  }));
}

/**
 * Only http/https on the standard or configured ports, as Boulder allows (RFC 8555 §10.2), and only
 * to hosts the issuance policy would accept as identifiers. The address it resolves to is checked
 * against the egress policy when it is dialled.
 */
function redirectTarget(from: Hop, location: string | undefined, settings: ValidationSettings): Hop {
  if (location === undefined || location === '') {
    throw new AppError('unauthorized', `Invalid response from ${from.shown}: redirect without a Location header`);
  }
  let to: URL;
  try {
    to = new URL(location, from.url);
  } catch (err) {
    throw new AppError('connection', `Invalid redirect from ${from.shown}: the Location header is not a URL`, { cause: err });
  }
  if (to.protocol !== 'http:' && to.protocol !== 'https:') {
    throw new AppError('connection', `Invalid protocol scheme in redirect target: only "http" and "https" are followed, not "${sanitize(to.protocol.slice(0, -1), 16)}"`);
  }
  const allowed = to.protocol === 'http:' ? [80, settings.http01Port] : [443, settings.tlsAlpn01Port];
  const port = to.port === '' ? (to.protocol === 'http:' ? 80 : 443) : Number(to.port);
  if (!allowed.includes(port)) {
    throw new AppError('connection', `Invalid port in redirect target: only ports ${[...new Set(allowed)].join(' and ')} are followed, not ${port}`);
  }
  checkRedirectHost(to, settings);
  to.hash = '';
  to.username = '';
  to.password = '';
  return { url: to, shown: `${to.protocol}//${to.host}/... (redirect target)` };
}

function checkRedirectHost(to: URL, settings: ValidationSettings): void {
  const host = to.hostname.replace(/^\[(.*)\]$/, '$1');
  const identifier = isIP(host) === 0 ? { type: 'dns' as const, value: host } : { type: 'ip' as const, value: host };
  if (host === '' || host.includes('*') || (settings.redirectHosts !== undefined && !settings.redirectHosts.permits(identifier))) {
    throw new AppError('connection', `Invalid host in redirect target "${sanitize(host)}": this CA does not issue for it, so validation does not follow it`);
  }
}

/** The detail names what was expected and what was seen (status, length), never the bytes themselves. */
function checkResponse(hop: Hop, result: FetchResult, keyAuthorization: string): void {
  if (result.status !== 200) {
    throw new AppError('unauthorized', `Invalid response from ${hop.shown}: ${result.status}`);
  }
  // RFC 8555 §8.3: "The server SHOULD ignore whitespace characters at the end of the body."
  const body = trimTrailingWhitespace(result.body.toString('latin1'));
  if (result.truncated || body !== keyAuthorization) {
    const seen = result.truncated ? `a body over ${MAX_BODY_BYTES} bytes` : `a different ${body.length}-byte body`;
    throw new AppError(
      'incorrectResponse',
      `The key authorization file from the server did not match this challenge. Expected "${keyAuthorization}" (${keyAuthorization.length} bytes), got status 200 with ${seen}`,
    );
  }
}

function trimTrailingWhitespace(text: string): string {
  let end = text.length;
  while (end > 0 && ' \t\r\n'.includes(text.charAt(end - 1))) end -= 1;
  return text.slice(0, end);
}
