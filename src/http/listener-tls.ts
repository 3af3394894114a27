import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Authority } from '../ca/authority.ts';
import type { Config } from '../config/schema.ts';

export interface ServerTls {
  material: { key: string; cert: string };
  renew?: (server: Server) => Promise<void>;
}

/** The listener's certificate: from files, or issued by our own CA in memory (never written to disk) and renewed. */
export async function serverTls(config: Config, authority: Authority): Promise<ServerTls> {
  if (config.tls.certFile !== undefined && config.tls.keyFile !== undefined) {
    return { material: { cert: readFileSync(config.tls.certFile, 'utf8'), key: readFileSync(config.tls.keyFile, 'utf8') } };
  }
  return issuedTls(authority, config.tls.names, config.tls.validityDays);
}

/** A certificate for `names` issued by our own CA in memory, renewed once two thirds of its lifetime has passed. */
export async function issuedTls(authority: Authority, names: string[], validityDays: number): Promise<ServerTls> {
  const validityMs = validityDays * 86_400_000;
  const issue = async (): Promise<{ key: string; cert: string; notAfter: number }> => {
    const c = await authority.serverCertificate(names, validityMs);
    return { key: c.keyPem, cert: c.certPem, notAfter: c.notAfter };
  };
  let current = await issue();
  return {
    material: { key: current.key, cert: current.cert },
    async renew(server: Server) {
      if (current.notAfter - Date.now() > validityMs / 3) return;
      current = await issue();
      server.setSecureContext({ key: current.key, cert: current.cert });
    },
  };
}
