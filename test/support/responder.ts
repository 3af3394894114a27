import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ChallengeSolver } from './acme-client.ts';

/** An http-01 responder on loopback: serves key authorizations it was handed, 404 otherwise. */
export interface Http01Responder extends ChallengeSolver {
  port: number;
  close(): Promise<void>;
}

export async function startHttp01Responder(): Promise<Http01Responder> {
  const tokens = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const m = /^\/\.well-known\/acme-challenge\/([\w-]+)$/.exec(req.url ?? '');
    const ka = m?.[1] === undefined ? undefined : tokens.get(m[1]);
    res.writeHead(ka === undefined ? 404 : 200, { 'Content-Type': 'text/plain' }).end(ka ?? 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async present(_type, _identifier, token, keyAuthorization) {
      tokens.set(token, keyAuthorization);
    },
    async cleanup(_type, _identifier, token) {
      tokens.delete(token);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
