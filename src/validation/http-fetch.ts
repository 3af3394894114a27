import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { deadlineExceeded, networkProblem } from './network-errors.ts';

/** One GET to a pinned address: where to connect, and the URL it stands for. */
export interface FetchTarget {
  url: URL;
  address: string;
  port: number;
  /** Absolute time (ms since the epoch) after which the fetch is abandoned. */
  deadline: number;
  /** "address:port: Fetching <url as shown>", the prefix of every problem detail. */
  where: string;
}

export interface FetchResult {
  status: number;
  location: string | undefined;
  /** At most `MAX_BODY_BYTES`; `truncated` says whether the server sent more. */
  body: Buffer;
  truncated: boolean;
}

/**
 * A key authorization is under 100 bytes; anything much longer is wrong, so reading stops here
 * rather than letting a target stream without end.
 */
export const MAX_BODY_BYTES = 8 * 1024;

/**
 * GETs `target.url` from `target.address:target.port` with the URL's host as Host header.
 * https targets are not verified (the point is the body, and the name may not have a certificate
 * yet), as Boulder and Pebble do. Failures are AppErrors prefixed with `target.where`.
 * `target.address` must have passed the egress policy (tryEachAddress does that); it is dialled as
 * a literal, so no second DNS lookup can change where the request goes.
 */
export function fetchPinned(target: FetchTarget): Promise<FetchResult> {
  const { url, where } = target;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const options = {
    host: target.address,
    port: target.port,
    path: `${url.pathname}${url.search}`,
    method: 'GET',
    agent: false as const,
    headers: { host: url.host, 'user-agent': 'Certainty-VA', accept: '*/*', connection: 'close' },
    ...(url.protocol === 'https:' ? { rejectUnauthorized: false, servername: isIP(hostname) === 0 ? hostname : '' } : {}),
  };
  return new Promise((resolve, reject) => {
    let connected = false;
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options);
    const timer = setTimeout(() => req.destroy(deadlineExceeded()), Math.max(0, target.deadline - Date.now()));
    const fail = (err: unknown): void => {
      clearTimeout(timer);
      req.destroy();
      reject(networkProblem(err, where, connected));
    };
    req.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    req.on('error', fail);
    req.on('response', (res) => {
      readCapped(res).then((read) => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, ...read });
      }, fail);
    });
    req.end();
  });
}

function readCapped(res: IncomingMessage): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length > MAX_BODY_BYTES) {
        res.removeAllListeners('data');
        res.destroy();
        resolve({ body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES), truncated: true });
      }
    });
    res.on('end', () => resolve({ body: Buffer.concat(chunks), truncated: false }));
    res.on('error', reject);
  });
}
