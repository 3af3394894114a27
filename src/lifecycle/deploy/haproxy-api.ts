/**
 * HAProxy's runtime API (the `stats socket … level admin` line): one command per connection,
 * answered and closed. The lab has its own reader for `show stat`; this one is the product's,
 * for deploys, and turns a socket failure into words an operator can act on.
 */
import { createConnection } from 'node:net';
import { AppError } from '../../errors.ts';

/** `socket` is a unix socket path or host:port. Resolves with HAProxy's whole answer. */
export function haproxyCommand(socket: string, command: string, timeoutMs: number): Promise<string> {
  const first = command.split('\n', 1)[0] ?? '';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const conn = socket.startsWith('/') ? createConnection(socket) : createConnection(tcpAddress(socket));
    const timer = setTimeout(() => conn.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    conn.on('connect', () => conn.end(command));
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new AppError('deployFailed', `HAProxy runtime API at ${socket} (${first}): ${socketProblem(err, timeoutMs)}`, { cause: err }));
    });
    conn.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** `127.0.0.1:9999` or `[::1]:9999` as connect options. */
function tcpAddress(hostPort: string): { host: string; port: number } {
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(colon + 1)) };
}

function socketProblem(err: NodeJS.ErrnoException, timeoutMs: number): string {
  switch (err.code) {
    case 'ENOENT': return 'no such socket: check the path against the `stats socket` line of haproxy.cfg and that HAProxy runs';
    case 'ECONNREFUSED': return 'connection refused: HAProxy is not running, or its `stats socket` is elsewhere';
    case 'EACCES': return 'permission denied: give the user Certainty runs as access to the socket (`stats socket … mode 660 group …`)';
    case 'ETIMEDOUT': return `no answer within ${timeoutMs} ms`;
    default: return err.message;
  }
}
