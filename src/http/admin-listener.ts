import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Authority } from '../ca/authority.ts';
import { hostPolicy } from '../config/hosts.ts';
import type { Config } from '../config/schema.ts';
import { splitListen } from '../config/urls.ts';
import { AppError } from '../errors.ts';
import { issuedTls } from './listener-tls.ts';
import { createServer, type HttpDeps, type SideRoutes } from './server.ts';

type ClientAuth = Config['admin']['clientAuth'];

/** What a client certificate is checked against beyond its chain. */
export interface ClientCertificateChecks {
  /** Whether this CA revoked the certificate with this serial (hex, lower case). */
  revoked: (serialHex: string) => Promise<boolean>;
  /** `admin.clientNames`: when set, the certificate must name one of these (SAN or CN). */
  names: readonly string[] | undefined;
}

/** The names a peer certificate carries: its DNS, IP and email SANs and its CN. */
function peerNames(cert: ReturnType<TLSSocket['getPeerCertificate']>): string[] {
  const sans = (cert.subjectaltname ?? '').split(', ').map((s) => s.replace(/^(DNS|IP Address|email):/, '')).filter((s) => s !== '');
  const cn = cert.subject?.CN;
  return [...sans, ...(typeof cn === 'string' ? [cn] : [])];
}

/** A running admin listener. */
export interface AdminListener {
  /** `https://<admin.listen>`: where the CLI, scrapers and tests reach /admin and /metrics. */
  url: string;
  stop(timeoutMs: number): Promise<void>;
}

/**
 * With `optional`, a connection may come without a client certificate, but one it presents must
 * chain to this CA; `require` was already enforced by the TLS handshake, checked again here.
 */
function clientChecked(side: SideRoutes, mode: ClientAuth, checks: ClientCertificateChecks): SideRoutes {
  if (mode === 'none') return side;
  return {
    async handle(req, url, body) {
      const socket = req.socket as TLSSocket;
      const cert = socket.getPeerCertificate();
      const presented = Object.keys(cert).length > 0;
      if (!socket.authorized && (presented || mode === 'require')) {
        const why = presented ? `the client certificate was refused (${String(socket.authorizationError)})` : 'no client certificate was presented';
        throw new AppError('unauthorized', `The admin listener takes client certificates issued by this CA only: ${why}; present one issued by this Certainty CA`);
      }
      if (presented) {
        // The handshake checked the chain; revocation and the allowed names are this CA's to check.
        if (await checks.revoked(cert.serialNumber.toLowerCase())) throw new AppError('unauthorized', 'The client certificate was revoked by this CA; issue a new one');
        const allowed = checks.names;
        if (allowed !== undefined && !peerNames(cert).some((n) => allowed.includes(n))) {
          throw new AppError('unauthorized', 'The client certificate names none of admin.clientNames; present a certificate issued for one of them');
        }
      }
      return side.handle(req, url, body);
    },
  };
}

/**
 * The admin API's own HTTPS listener (`admin.listen`): admin routes, /metrics, health and the CA's
 * public files, never ACME. Its certificate is issued by this CA in memory and renewed; with
 * `admin.clientAuth` it asks for client certificates chaining to this CA (mTLS).
 */
export async function startAdminListener(config: Config, authority: Authority, http: Omit<HttpDeps, 'tls' | 'publicUrl' | 'externalUrl' | 'hosts'>, log: Logger, revoked: ClientCertificateChecks['revoked']): Promise<AdminListener | undefined> {
  const { listen, clientAuth } = config.admin;
  if (listen === undefined) return undefined;
  const names = config.admin.names ?? config.tls.names;
  const tls = await issuedTls(authority, names, config.tls.validityDays);
  const { host, port } = splitListen(listen);
  const url = `https://${listen}`;
  const server = createServer({
    ...http, serveAcme: false, side: clientChecked(http.side, clientAuth, { revoked, names: config.admin.clientNames }), tls: tls.material, publicUrl: url, externalUrl: undefined,
    hosts: hostPolicy({ tlsNames: names, listenHost: host, publicUrl: url }),
    ...(clientAuth === 'none' ? {} : { clientAuth: { mode: clientAuth, ca: `${authority.rootPem}${authority.chainPem}` } }),
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const renewal = setInterval(() => {
    tls.renew?.(server).catch((err: unknown) => log.warn({ err }, 'admin listener certificate renewal failed; will retry'));
  }, 3_600_000);
  renewal.unref();
  log.info({ admin: url, clientAuth }, 'admin API on its own listener');
  return {
    url,
    async stop(timeoutMs) {
      clearInterval(renewal);
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await Promise.race([closed, new Promise<void>((r) => setTimeout(r, timeoutMs).unref())]);
      server.closeAllConnections();
    },
  };
}
