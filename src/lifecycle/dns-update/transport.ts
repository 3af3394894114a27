/**
 * One DNS exchange over TCP (RFC 1035 §4.2.2: a two-byte length before each message), so an
 * update or answer of any size needs no truncation fallback. Bounded by a timeout.
 */
import { connect } from 'node:net';
import { DnsUpdateError } from './errors.ts';

export interface DnsServer {
  host: string;
  port: number;
}

export const serverText = (s: DnsServer): string => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);

/** Sends `message`, returns the first response message. */
export function exchange(server: DnsServer, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    const fail = (why: string, code: string | undefined): void => {
      socket.destroy();
      reject(new DnsUpdateError(`the DNS server at ${serverText(server)} ${why}`, true, code));
    };
    socket.setTimeout(timeoutMs, () => fail(`did not answer within ${timeoutMs} ms; check it runs and listens on TCP`, 'ETIMEDOUT'));
    socket.on('error', (err: NodeJS.ErrnoException) => fail(`could not be reached (${err.code ?? err.message}); check --dns-server and that it listens on TCP`, err.code));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([len, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const want = buf.readUInt16BE(0);
      if (buf.length < 2 + want) return;
      socket.destroy();
      resolve(buf.subarray(2, 2 + want));
    });
    socket.on('end', () => fail('closed the connection without an answer', undefined));
  });
}
