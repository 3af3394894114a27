import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChallengeSolver } from './client.ts';

const PREFIX = '/.well-known/acme-challenge/';

/**
 * An http-01 responder (RFC 8555 §8.3): serves the key authorizations it was handed at
 * `/.well-known/acme-challenge/<token>`, 404 for anything else. Used by the drills, the DR test,
 * the benchmarks and the tests; it answers http-01 only.
 */
export interface Http01Responder extends ChallengeSolver {
  readonly port: number;
  /** Serves `keyAuthorization` for `token` until cleaned up. */
  set(token: string, keyAuthorization: string): void;
  /** Challenge requests answered 200 so far, to show validation really happened. */
  served(): number;
  close(): Promise<void>;
}

export interface ResponderOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default: any free port. */
  readonly port?: number;
}

export async function startHttp01Responder(options: ResponderOptions = {}): Promise<Http01Responder> {
  const tokens = new Map<string, string>();
  let served = 0;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    const keyAuthorization = path.startsWith(PREFIX) ? tokens.get(path.slice(PREFIX.length)) : undefined;
    if (req.method !== 'GET' || keyAuthorization === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    served += 1;
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(keyAuthorization);
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => { throw err as Error; })]);
  return {
    port: (server.address() as AddressInfo).port,
    set: (token, keyAuthorization) => void tokens.set(token, keyAuthorization),
    present: async (type, _identifier, token, keyAuthorization) => {
      if (type !== 'http-01') throw new Error(`the http-01 responder cannot answer a ${type} challenge`);
      tokens.set(token, keyAuthorization);
    },
    cleanup: async (_type, _identifier, token) => {
      tokens.delete(token);
    },
    served: () => served,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
