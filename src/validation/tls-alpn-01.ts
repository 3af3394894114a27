import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { ACME_TLS_ALPN_PROTOCOL, checkAcmeIdentifierCertificate } from '../ca/tls-alpn.ts';
import { canonicalIp } from '../ca/ip.ts';
import { AppError } from '../errors.ts';
import { joinHostPort, reverseDnsName, tryEachAddress } from './address.ts';
import { deadlineExceeded, networkProblem } from './network-errors.ts';
import type { ValidationResolver } from './resolver.ts';
import type { ValidationSettings } from './settings.ts';
import type { ChallengeInput, ValidationRecord } from './types.ts';

/**
 * tls-alpn-01 (RFC 8737 §3, RFC 8738 §6 for IP identifiers): handshake with the identifier's address
 * offering only "acme-tls/1", with SNI set to the domain (or the IP's reverse-DNS name), and check the
 * self-signed certificate it presents carries the key authorization's SHA-256 digest.
 */
export async function validateTlsAlpn01(
  input: Pick<ChallengeInput, 'identifier' | 'keyAuthorization'>,
  settings: ValidationSettings,
  resolver: ValidationResolver,
): Promise<ValidationRecord> {
  const { identifier } = input;
  const servername = sniFor(identifier);
  const deadline = Date.now() + settings.timeoutMs;
  const addresses = identifier.type === 'ip' ? [identifier.value] : await resolver.resolveAddresses(identifier.value);
  const port = settings.tlsAlpn01Port;
  const keyAuthorizationDigest = new Uint8Array(createHash('sha256').update(input.keyAuthorization, 'utf8').digest());
  const where = (address: string): string => `${joinHostPort(address, port)}: tls-alpn-01 handshake for ${servername}`;
  return tryEachAddress(addresses, { egress: settings.egress, where }, async (address) => {
    const certDer = await fetchAcmeCertificate({ address, port, servername, deadline, where: where(address) });
    checkAcmeIdentifierCertificate(certDer, { identifier, keyAuthorizationDigest });
    return { hostname: identifier.value, port: String(port), addressesResolved: addresses, addressUsed: address };
  });
}

function sniFor(identifier: ChallengeInput['identifier']): string {
  if (identifier.type === 'ip') {
    if (canonicalIp(identifier.value) === undefined) throw new AppError('malformed', `"${identifier.value}" is not an IP address`);
    return reverseDnsName(identifier.value);
  }
  // RFC 8737 §3 / RFC 8555 §7.1.3: wildcards are validated with dns-01 only.
  if (identifier.value.startsWith('*.') || isIP(identifier.value) !== 0) {
    throw new AppError('malformed', `tls-alpn-01 cannot validate the dns identifier "${identifier.value}"`);
  }
  return identifier.value;
}

interface HandshakeTarget {
  address: string;
  port: number;
  servername: string;
  deadline: number;
  /** "address:port: tls-alpn-01 handshake for <servername>", the prefix of every problem detail. */
  where: string;
}

/**
 * Completes one handshake and returns the leaf certificate's DER; the socket is closed either way.
 * `target.address` has passed the egress policy (tryEachAddress) and is dialled as a literal.
 */
function fetchAcmeCertificate(target: HandshakeTarget): Promise<Uint8Array> {
  const { where } = target;
  return new Promise((resolve, reject) => {
    let connected = false;
    const socket = connect({
      host: target.address,
      port: target.port,
      servername: target.servername,
      ALPNProtocols: [ACME_TLS_ALPN_PROTOCOL],
      // The certificate is self-signed by design; RFC 8737 §3 checks its contents, not its chain.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    });
    const timer = setTimeout(() => socket.destroy(deadlineExceeded()), Math.max(0, target.deadline - Date.now()));
    const settle = (outcome: () => Uint8Array): void => {
      clearTimeout(timer);
      try {
        resolve(outcome());
      } catch (err) {
        reject(err);
      } finally {
        socket.destroy();
      }
    };
    socket.once('connect', () => (connected = true));
    socket.once('secureConnect', () => settle(() => acmeCertificate(socket, where)));
    socket.on('error', (err) =>
      settle(() => {
        throw networkProblem(err, where, connected);
      }),
    );
  });
}

function acmeCertificate(socket: TLSSocket, where: string): Uint8Array {
  if (socket.alpnProtocol !== ACME_TLS_ALPN_PROTOCOL) {
    throw new AppError('tls', `${where}: Cannot negotiate ALPN protocol "${ACME_TLS_ALPN_PROTOCOL}" for tls-alpn-01 challenge`);
  }
  const der = socket.getPeerX509Certificate()?.raw;
  if (der === undefined) throw new AppError('tls', `${where}: no certificate presented`);
  return new Uint8Array(der);
}
