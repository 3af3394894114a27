import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback between a client and PostgreSQL that reads the wire protocol (v3,
 * PostgreSQL docs §55.7) well enough to cut one connection at a chosen moment:
 * - 'before-request': when the client sends a statement whose text matches, the statement is
 *   dropped and the connection cut, so the server never sees it;
 * - 'after-reply': the statement goes through, and the connection is cut once the server has
 *   finished it (its ReadyForQuery), before its CommandComplete reaches the client. Cutting on
 *   COMMIT gives a transaction that committed while its client never learnt so.
 * Statement text is read from Query and Parse messages, and from a Bind naming a prepared
 * statement (postgres.js prepares `commit` once per connection and then only binds it).
 */
export interface PgProxy {
  /** The target URL with the proxy's host and port. */
  readonly url: string;
  /** Client→server socket writes seen so far (one per batch the driver flushes: a round trip's request). */
  readonly clientWrites: number;
  /** Protocol messages counted so far over every connection (for the bench: statements and round trips). */
  counts(): PgWireCounts;
  /** Cuts the next connection that sends a statement matching `match`; resolves once it is cut. */
  cutOnce(match: RegExp, when: 'before-request' | 'after-reply'): Promise<void>;
  close(): Promise<void>;
}

/** Client messages by type, and the server's ReadyForQuery answers (after the startup's). */
export interface PgWireCounts {
  /** Simple-protocol Query ('Q'): one statement string, one round trip. */
  readonly query: number;
  readonly parse: number;
  readonly bind: number;
  /** Execute ('E'): one extended-protocol statement run. */
  readonly execute: number;
  readonly sync: number;
  /** ReadyForQuery ('Z') answering a Sync or a Query: one per round trip the client waited for. */
  readonly roundTrips: number;
}

interface Rule {
  match: RegExp;
  when: 'before-request' | 'after-reply';
  done: () => void;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

const cstring = (buf: Buffer, at: number): [string, number] => {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
};

/** One proxied connection: parses both directions into messages and applies the armed rule. */
class Link {
  private fromClient = Buffer.alloc(0);
  private fromServer = Buffer.alloc(0);
  private startup = true;
  private untypedServerBytes = 0;
  private readonly prepared = new Map<string, string>();
  private cutting: Rule | undefined;
  /** Which ReadyForQuery answers the armed statement: one comes per Query and per Sync, in order. */
  private cutAtReady = 0;
  private syncs = 0;
  private readies = 0;
  private holding = false;

  constructor(private readonly client: Socket, private readonly server: Socket, private readonly proxy: Proxy) {
    client.on('data', (chunk: Buffer) => this.onClient(chunk));
    server.on('data', (chunk: Buffer) => this.onServer(chunk));
    const end = (): void => this.cut();
    for (const s of [client, server]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  cut(): void {
    this.client.destroy();
    this.server.destroy();
  }

  private onClient(chunk: Buffer): void {
    this.proxy.countWrite();
    this.fromClient = Buffer.concat([this.fromClient, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const message = this.nextClientMessage();
      if (message === undefined) break;
      const text = this.statementText(message);
      const rule = text === undefined ? undefined : this.proxy.claim(text);
      if (rule?.when === 'before-request') {
        this.cut();
        rule.done();
        return;
      }
      if (rule !== undefined) {
        this.cutting = rule;
        this.cutAtReady = this.syncs + 1;
      }
      if (!this.startup && (message[0] === 0x51 || message[0] === 0x53)) this.syncs += 1; // Q, S
      if (!this.startup) this.proxy.countClientMessage(message[0] ?? 0);
      out.push(message);
    }
    if (out.length > 0) this.server.write(Buffer.concat(out));
  }

  private nextClientMessage(): Buffer | undefined {
    const buf = this.fromClient;
    const headerLength = this.startup ? 4 : 5;
    if (buf.length < headerLength) return undefined;
    const length = this.startup ? buf.readInt32BE(0) : 1 + buf.readInt32BE(1);
    if (buf.length < length) return undefined;
    const message = buf.subarray(0, length);
    this.fromClient = buf.subarray(length);
    if (this.startup) {
      const code = message.readInt32BE(4);
      // The server answers an SSL or GSS request with one untyped byte, and the startup follows.
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) this.untypedServerBytes += 1;
      else {
        this.startup = false;
        this.syncs += 1; // the server's first ReadyForQuery answers the startup
      }
    }
    return message;
  }

  private statementText(message: Buffer): string | undefined {
    if (this.startup) return undefined;
    const type = String.fromCharCode(message[0] ?? 0);
    if (type === 'Q') return cstring(message, 5)[0];
    if (type === 'P') {
      const [name, at] = cstring(message, 5);
      const [text] = cstring(message, at);
      if (name !== '') this.prepared.set(name, text);
      return text;
    }
    if (type === 'B') {
      const [, at] = cstring(message, 5);
      const [statement] = cstring(message, at);
      return this.prepared.get(statement);
    }
    return undefined;
  }

  /**
   * Server messages pass through until the armed statement's CommandComplete (the first after the
   * ReadyForQuery before its own); its ReadyForQuery cuts. Earlier messages of its exchange (a
   * ParameterDescription the driver waits for before it binds) still pass.
   */
  private onServer(chunk: Buffer): void {
    this.fromServer = Buffer.concat([this.fromServer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const buf = this.fromServer;
      const length = this.untypedServerBytes > 0 ? 1 : buf.length >= 5 ? 1 + buf.readInt32BE(1) : Infinity;
      if (buf.length < length) break;
      const type = this.untypedServerBytes > 0 ? '' : String.fromCharCode(buf[0] ?? 0);
      if (this.untypedServerBytes > 0) this.untypedServerBytes -= 1;
      this.fromServer = buf.subarray(length);
      const armedExchange = this.cutting !== undefined && this.readies === this.cutAtReady - 1;
      if (type === 'Z') {
        // The first ReadyForQuery ends the startup; every later one answers a Sync or a Query.
        if (this.readies > 0) this.proxy.countRoundTrip();
        this.readies += 1;
      }
      if (armedExchange && type === 'C') this.holding = true;
      if (armedExchange && type === 'Z' && this.cutting !== undefined) {
        if (out.length > 0) this.client.write(Buffer.concat(out));
        this.cut();
        this.cutting.done();
        return;
      }
      if (!this.holding) out.push(buf.subarray(0, length));
    }
    if (out.length > 0) this.client.write(Buffer.concat(out));
  }
}

const CLIENT_MESSAGES: Readonly<Record<string, Exclude<keyof PgWireCounts, 'roundTrips'>>> = { Q: 'query', P: 'parse', B: 'bind', E: 'execute', S: 'sync' };

class Proxy {
  private rule: Rule | undefined;
  writes = 0;
  readonly counts = { query: 0, parse: 0, bind: 0, execute: 0, sync: 0, roundTrips: 0 };

  countWrite(): void {
    this.writes += 1;
  }

  countClientMessage(type: number): void {
    const key = CLIENT_MESSAGES[String.fromCharCode(type)];
    if (key !== undefined) this.counts[key] += 1;
  }

  countRoundTrip(): void {
    this.counts.roundTrips += 1;
  }

  arm(rule: Rule): void {
    if (this.rule !== undefined) throw new Error('a cut is already armed');
    this.rule = rule;
  }

  /** The armed rule if `text` matches it; it then belongs to the caller's connection. */
  claim(text: string): Rule | undefined {
    const rule = this.rule;
    if (rule === undefined || !rule.match.test(text)) return undefined;
    this.rule = undefined;
    return rule;
  }
}

/** Starts a proxy on 127.0.0.1 in front of the server named by `targetUrl` (a postgres:// URL). */
export async function startPgProxy(targetUrl: string): Promise<PgProxy> {
  const target = new URL(targetUrl);
  const proxy = new Proxy();
  const links = new Set<Link>();
  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect({ host: target.hostname, port: Number(target.port || 5432) });
    upstream.setNoDelay(true);
    const link = new Link(client, upstream, proxy);
    links.add(link);
    client.on('close', () => links.delete(link));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const url = new URL(targetUrl);
  url.host = `127.0.0.1:${address.port}`;
  return {
    url: url.toString(),
    get clientWrites() {
      return proxy.writes;
    },
    counts: () => ({ ...proxy.counts }),
    cutOnce(match, when) {
      return new Promise<void>((resolve) => proxy.arm({ match, when, done: resolve }));
    },
    async close() {
      for (const link of links) link.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
