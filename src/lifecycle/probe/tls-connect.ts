/**
 * One TLS handshake to read what an endpoint serves: the leaf, the chain it sent, and whether that
 * chain leads to the given trust anchors. The handshake never fails on trust or name (those are
 * reported, not enforced), so a probe can describe a certificate that is expired, self-signed or
 * for another name; only network and protocol failures are errors, in plain words.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate } from 'node:tls';

/** Where to connect; `servername` is the SNI name (default `host` when it is a name, none for an address). */
export interface TlsEndpoint {
  readonly host: string;
  readonly port: number;
  readonly servername?: string | undefined;
}

/** What the endpoint served. */
export interface ServedChain {
  readonly leaf: X509Certificate;
  /** Further certificates the server sent, in order (the trust anchor may be among them). */
  readonly intermediates: readonly X509Certificate[];
  /** Whether the chain leads to the trust anchors (the given bundle, else the system's). */
  readonly chainValid: boolean;
  /** OpenSSL's reason when it does not, e.g. UNABLE_TO_GET_ISSUER_CERT_LOCALLY, CERT_HAS_EXPIRED. */
  readonly chainError: string | null;
}

export interface TlsConnectOptions {
  /** PEM trust anchors for the chain check; default Node's bundled roots. */
  readonly trust?: string | undefined;
  /** For the whole handshake; default 5 s. */
  readonly timeoutMs?: number | undefined;
}

/** The SNI name sent to `endpoint` (RFC 6066 §3 allows no IP address there). */
function sniName(endpoint: TlsEndpoint): string | undefined {
  const name = endpoint.servername ?? endpoint.host;
  return isIP(name) === 0 ? name : undefined;
}

/** Handshakes with `endpoint`; rejects with an Error whose message is plain words for an operator. */
export function fetchServedChain(endpoint: TlsEndpoint, options: TlsConnectOptions = {}): Promise<ServedChain> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const where = `${endpoint.host}:${endpoint.port}`;
  const servername = sniName(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      ...(servername === undefined ? {} : { servername }),
      ...(options.trust === undefined ? {} : { ca: options.trust }),
      rejectUnauthorized: false,
      // Names are compared by the caller, so the chain verdict below is about the chain alone.
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS answer from ${where} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      try {
        const peer = socket.getPeerCertificate(true);
        if (peer.raw === undefined) throw new Error(`${where} completed the handshake without a certificate`);
        const authError = socket.authorizationError as Error | string | null | undefined;
        resolve({
          leaf: new X509Certificate(peer.raw),
          intermediates: chainAfter(peer),
          chainValid: socket.authorized,
          chainError: socket.authorized ? null : String(authError ?? 'not trusted'),
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        socket.destroy();
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(plainWords(err as NodeJS.ErrnoException, where), { cause: err }));
    });
  });
}

/** The certificates after the leaf, stopping at a self-issued one (Node links the root to itself). */
function chainAfter(peer: DetailedPeerCertificate): X509Certificate[] {
  const out: X509Certificate[] = [];
  let current = peer;
  for (let i = 0; i < 10; i += 1) {
    const next = current.issuerCertificate as DetailedPeerCertificate | undefined;
    if (next === undefined || next === current || next.raw === undefined) break;
    out.push(new X509Certificate(next.raw));
    current = next;
  }
  return out;
}

function plainWords(err: NodeJS.ErrnoException, where: string): string {
  switch (err.code) {
    case 'ECONNREFUSED': return `connection refused by ${where}: nothing listens on that port`;
    case 'ECONNRESET': return `${where} closed the connection during the TLS handshake (it may not speak TLS on that port)`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `the host name of ${where} does not resolve`;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return `${where} is unreachable from this node`;
    case 'ETIMEDOUT': return `connecting to ${where} timed out`;
    default: break;
  }
  if (/wrong version number|packet length too long|unknown protocol/i.test(err.message)) {
    return `${where} does not speak TLS on that port`;
  }
  if (err.message.startsWith('no TLS answer')) return err.message;
  return `TLS handshake with ${where} failed: ${err.message}`;
}
