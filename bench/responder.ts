import { createServer } from 'node:http';
import type { ChallengeSolver } from '../test/support/acme-client.ts';
import { freePort } from '../test/support/free-port.ts';

const PREFIX = '/.well-known/acme-challenge/';

/** The one http-01 responder both servers validate against (RFC 8555 §8.3). */
export interface Http01Responder {
  readonly port: number;
  readonly solver: ChallengeSolver;
  /** Challenge requests answered 200 so far, to show validation really happened. */
  served(): number;
  close(): Promise<void>;
}

/** Serves `/.well-known/acme-challenge/<token>` from a map the solver fills, on 127.0.0.1. */
export async function startHttp01Responder(): Promise<Http01Responder> {
  const tokens = new Map<string, string>();
  let served = 0;
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    const keyAuthorization = path.startsWith(PREFIX) ? tokens.get(path.slice(PREFIX.length)) : undefined;
    if (req.method !== 'GET' || keyAuthorization === undefined) {
      res.writeHead(404).end();
      return;
    }
    served += 1;
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(keyAuthorization);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port,
    solver: {
      present: async (type, _identifier, token, keyAuthorization) => {
        if (type !== 'http-01') throw new Error(`the bench responder only answers http-01, not ${type}`);
        tokens.set(token, keyAuthorization);
      },
      cleanup: async (_type, _identifier, token) => {
        tokens.delete(token);
      },
    },
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
