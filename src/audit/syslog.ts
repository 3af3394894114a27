import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { AuditRecord } from './chain.ts';
import type { AuditSink } from './sinks.ts';
import { isoTime, recordJson } from './wire.ts';

/** RFC 5424 §6.2.1 facility 13, "log audit". */
const FACILITY = 13;
/** Severity: 6 informational for a success, 4 warning for a failure or anything a break-glass token did. */
const SEVERITY = { success: 6, failure: 4 } as const;
/** The canonical details of a break-glass token's records (src/admin/tokens.ts, src/http/admin-routes.ts). */
const BREAK_GLASS = '"breakGlass":true';
/**
 * SD-ID of our structured data. 32473 is the private enterprise number RFC 5612 reserves for
 * documentation, the one RFC 5424's own examples use.
 */
export const SD_ID = 'certainty@32473';
const BOM = '\u{FEFF}';

/** RFC 5424 §6.3.3: inside PARAM-VALUE, '"', '\' and ']' are escaped with a backslash. */
function sdValue(value: string | number): string {
  return String(value).replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** RFC 5424 §6: header fields are printable US-ASCII without spaces, bounded in length. */
function headerField(value: string, max: number): string {
  return value.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '-';
}

/** One record as an RFC 5424 message: the chain fields as structured data, the whole record as JSON in MSG. */
function formatSyslog(r: AuditRecord): string {
  // Fields are escaped even where the log only writes safe values: a row edited in the database is forwarded as it is.
  const pri = FACILITY * 8 + (r.details.includes(BREAK_GLASS) ? SEVERITY.failure : SEVERITY[r.outcome] ?? SEVERITY.failure);
  const params = { seq: r.seq, actor: r.actor, object: r.object, outcome: r.outcome, hash: r.hash, prevHash: r.prevHash };
  const sd = `[${SD_ID} ${Object.entries(params).map(([k, v]) => `${k}="${sdValue(v)}"`).join(' ')}]`;
  // RFC 5424 §6.2.3: the NILVALUE "-" when there is no valid time.
  return `<${pri}>1 ${isoTime(r.time) ?? '-'} ${headerField(r.nodeId, 255)} certainty - ${headerField(r.action, 32)} ${sd} ${BOM}${JSON.stringify(recordJson(r))}`;
}

/** RFC 6587 §3.4.1 octet-counting framing: the message length in bytes, a space, the message. */
function frame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export interface SyslogTarget {
  host: string;
  port: number;
  /** Present for syslog over TLS (RFC 5425). */
  tls: { ca: Buffer | undefined; serverName: string | undefined } | undefined;
  timeoutMs: number;
}

function open(target: SyslogTarget): { socket: Socket; ready: string } {
  if (target.tls === undefined) return { socket: netConnect({ host: target.host, port: target.port }), ready: 'connect' };
  const servername = target.tls.serverName ?? (isIP(target.host) === 0 ? target.host : undefined);
  const socket = tlsConnect({ host: target.host, port: target.port, ...(target.tls.ca ? { ca: target.tls.ca } : {}), ...(servername ? { servername } : {}) });
  return { socket, ready: 'secureConnect' };
}

/**
 * Sends one batch on its own connection and treats the receiver's orderly close as the
 * acknowledgement. TCP syslog has none of its own (RFC 6587): bytes accepted by the local kernel
 * are not bytes a receiver read, so a receiver that dies mid-batch would lose them silently on a
 * kept-open connection. Here we half-close after the batch; a receiver closes its side only after
 * reading to our end. A reset, an early close or a timeout fails the batch, which is sent again.
 */
function sendBatch(target: SyslogTarget, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = open(target);
    let flushed = false;
    let peerClosed = false;
    let earlyClose = false;
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const where = `${target.host}:${target.port}`;
    const timer = setTimeout(() => settle(new Error(`syslog receiver ${where} did not acknowledge the batch within ${target.timeoutMs} ms`)), target.timeoutMs);
    socket.once(ready, () => socket.end(payload, () => (flushed = true)));
    socket.on('data', () => undefined);
    socket.once('end', () => {
      peerClosed = true;
      earlyClose = !flushed;
    });
    socket.once('error', (err) => settle(new Error(`syslog receiver ${where}: ${err.message}`, { cause: err })));
    socket.once('close', () => {
      if (peerClosed && flushed && !earlyClose) settle();
      else settle(new Error(`syslog receiver ${where} closed the connection before reading the whole batch`));
    });
  });
}

/** Syslog over TCP (RFC 6587, octet counting), optionally TLS (RFC 5425). */
export class SyslogSink implements AuditSink {
  constructor(readonly name: string, private readonly target: SyslogTarget) {}

  deliver(records: readonly AuditRecord[]): Promise<void> {
    return sendBatch(this.target, Buffer.concat(records.map((r) => frame(formatSyslog(r)))));
  }

  close(): void {
    // One connection per batch: nothing stays open.
  }
}
