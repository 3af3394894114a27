/**
 * A small SMTP client (RFC 5321) for notifications: EHLO, STARTTLS (RFC 3207, required unless a
 * channel opts out), AUTH PLAIN (RFC 4954, only inside TLS), one message to its recipients. No
 * pooling, one connection per message: notifications are few.
 */
import { randomBytes } from 'node:crypto';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';

export interface SmtpMessage {
  host: string;
  port: number;
  starttls: 'required' | 'none';
  ca: string | undefined;
  username: string | undefined;
  password: string | undefined;
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
  timeoutMs: number;
}

interface Reply { code: number; text: string }

/** Reads replies off whichever socket is current (the plain one, then the TLS one). */
class Conversation {
  private buffered = '';
  private lines: string[] = [];
  private waiter: ((r: Reply) => void) | undefined;
  private failure: Error | undefined;
  private failed: ((e: Error) => void) | undefined;

  constructor(public socket: Socket, private readonly where: string) {
    this.attach(socket);
  }

  attach(socket: Socket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.take(chunk));
    socket.on('error', (err) => this.fail(new Error(`SMTP server ${this.where}: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new Error(`SMTP server ${this.where} closed the connection`)));
  }

  detach(): void {
    this.socket.removeAllListeners('data').removeAllListeners('close').removeAllListeners('error');
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.failed?.(this.failure);
  }

  private take(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).replace(/\r$/, '');
      this.buffered = this.buffered.slice(nl + 1);
      this.lines.push(line);
      // The last line of a reply has a space (or nothing) after the code, the others a hyphen.
      if (!/^\d{3}-/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), text: this.lines.map((l) => l.slice(4)).join('\n') };
        this.lines = [];
        this.waiter?.(reply);
      }
    }
  }

  reply(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiter = (r) => { this.waiter = undefined; resolve(r); };
      this.failed = reject;
    });
  }

  /** Sends `line` (unless undefined) and checks the reply's code against `expect`. */
  async step(line: string | undefined, expect: number, what: string): Promise<Reply> {
    const answer = this.reply();
    if (line !== undefined) this.socket.write(`${line}\r\n`);
    const r = await answer;
    if (Math.floor(r.code / 100) !== Math.floor(expect / 100)) throw new Error(`SMTP server ${this.where} refused ${what}: ${r.code} ${r.text.replace(/\s+/g, ' ').slice(0, 200)}`);
    return r;
  }
}

const isAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);
const headerText = (s: string): string => (isAscii(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`);

/** The message as sent after DATA: headers, a base64 UTF-8 body (safe on any server), dot-stuffed. */
export function formatMessage(m: Pick<SmtpMessage, 'from' | 'to' | 'subject' | 'text'>, now: Date): string {
  const body = Buffer.from(m.text, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  const domain = m.from.split('@')[1] ?? 'certainty.invalid';
  const lines = [
    `From: ${m.from}`, `To: ${m.to.join(', ')}`, `Subject: ${headerText(m.subject)}`, `Date: ${now.toUTCString()}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${domain}>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64', 'Auto-Submitted: auto-generated', '', ...body.split('\r\n'),
  ];
  return lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
}

async function upgrade(c: Conversation, m: SmtpMessage, ehlo: Reply): Promise<Reply> {
  if (!/^STARTTLS$/im.test(ehlo.text)) {
    throw new Error(`SMTP server ${m.host}:${m.port} does not offer STARTTLS, which this channel requires; enable it on the server (or, for a local relay only, set the channel's starttls to none)`);
  }
  await c.step('STARTTLS', 220, 'STARTTLS');
  c.detach();
  // The certificate is checked against the host; SNI carries names only (RFC 6066 §3).
  const secure = tlsConnect({ socket: c.socket, host: m.host, ...(isIP(m.host) === 0 ? { servername: m.host } : {}), ...(m.ca === undefined ? {} : { ca: m.ca }) });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', (err) => reject(new Error(`STARTTLS with ${m.host}:${m.port} failed: ${err.message}; give the channel the server's CA (trust)`, { cause: err })));
  });
  c.attach(secure);
  return c.step(`EHLO ${hostname()}`, 250, 'EHLO');
}

async function converse(c: Conversation, m: SmtpMessage): Promise<void> {
  await c.step(undefined, 220, 'the connection');
  let ehlo = await c.step(`EHLO ${hostname()}`, 250, 'EHLO');
  if (m.starttls === 'required') ehlo = await upgrade(c, m, ehlo);
  if (m.username !== undefined) {
    if (m.starttls !== 'required') throw new Error('SMTP AUTH is only sent inside STARTTLS; set the channel\'s starttls to required');
    if (!/^AUTH\b.*\bPLAIN\b/im.test(ehlo.text)) throw new Error(`SMTP server ${m.host}:${m.port} does not offer AUTH PLAIN`);
    await c.step(`AUTH PLAIN ${Buffer.from(`\0${m.username}\0${m.password ?? ''}`, 'utf8').toString('base64')}`, 235, 'the login (check the username and password)');
  }
  await c.step(`MAIL FROM:<${m.from}>`, 250, `the sender ${m.from}`);
  for (const to of m.to) await c.step(`RCPT TO:<${to}>`, 250, `the recipient ${to}`);
  await c.step('DATA', 354, 'DATA');
  await c.step(`${formatMessage(m, new Date())}\r\n.`, 250, 'the message');
  await c.step('QUIT', 221, 'QUIT').catch(() => undefined);
}

/** Sends one message; throws with what went wrong, never with the password. */
export async function sendMail(m: SmtpMessage): Promise<void> {
  const where = `${m.host}:${m.port}`;
  const socket = netConnect({ host: m.host, port: m.port });
  const c = new Conversation(socket, where);
  const timer = setTimeout(() => c.fail(new Error(`SMTP server ${where} did not finish within ${m.timeoutMs} ms`)), m.timeoutMs);
  try {
    await converse(c, m);
  } finally {
    clearTimeout(timer);
    c.detach();
    c.socket.on('error', () => undefined);
    c.socket.destroy();
  }
}
