import { AppError } from '../errors.ts';

/** Node error codes for connection failures, in the words Boulder uses for them. */
const CONNECTION_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network unreachable',
  EPIPE: 'Connection closed by peer',
  EADDRNOTAVAIL: 'Address not available',
};

/** The error a deadline timer destroys a socket with; `networkProblem` recognises it. */
export function deadlineExceeded(): Error {
  return Object.assign(new Error('validation deadline exceeded'), { code: 'ETIMEDOUT' });
}

/**
 * Turns a socket/TLS/HTTP-parser failure into the problem a client sees. `where` names the address,
 * port and what was being fetched; `connected` tells a firewall drop from a slow server.
 */
export function networkProblem(err: unknown, where: string, connected: boolean): AppError {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ETIMEDOUT') {
    const what = connected ? 'Timeout after connect (your server may be slow or overloaded)' : 'Timeout during connect (likely firewall problem)';
    return new AppError('connection', `${where}: ${what}`, { cause: err });
  }
  if (typeof code === 'string' && CONNECTION_FAILURES[code] !== undefined) {
    return new AppError('connection', `${where}: ${CONNECTION_FAILURES[code]}`, { cause: err });
  }
  if (typeof code === 'string' && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO')) {
    // OpenSSL errors carry a readable `reason` ("tlsv1 alert no application protocol"); the message is a dump.
    const reason = (err as { reason?: unknown }).reason;
    return new AppError('tls', `${where}: TLS handshake failed: ${sanitize(typeof reason === 'string' ? reason : message)}`, { cause: err });
  }
  if (typeof code === 'string' && code.startsWith('HPE_')) {
    return new AppError('unauthorized', `${where}: Malformed HTTP response`, { cause: err });
  }
  return new AppError('connection', `${where}: Error getting validation data`, { cause: err });
}

/**
 * A short, printable excerpt of bytes a validation target sent, safe to echo in a problem detail:
 * non-printable characters become "?", and the text is cut at `max` characters.
 */
export function sanitize(text: string, max = 64): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}...` : printable;
}
