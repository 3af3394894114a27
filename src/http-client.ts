// The product's outbound HTTP(S) requests (the ACME client, audit webhooks, the lab's probes, the
// DR test's readiness check) go through this one helper: a deadline for the whole exchange, the
// trust anchors the caller names, and a cap on what it reads. Node's global fetch cannot take a CA
// bundle without undici, which is not a dependency. The validator's fetch (validation/http-fetch.ts)
// stays apart on purpose: it dials an address it has already checked, never a name.
import { Agent as HttpAgent, request as sendHttp, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as sendHttps } from 'node:https';

/** PEM trust anchors, one or several. */
export type CaBundle = string | Buffer | ReadonlyArray<string | Buffer>;

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Limit for the whole exchange, from connecting to the last byte; default 10 s. */
  readonly timeoutMs?: number;
  /** For https: trust only these anchors; default the system's. */
  readonly ca?: CaBundle;
  /** For https: do not verify the certificate (readiness probes that run before any anchor is known). */
  readonly insecure?: boolean;
  /** A keep-alive agent from {@link keepAliveAgent}; default one connection per request. */
  readonly agent?: HttpAgent;
  /** A longer answer fails the request, so a misbehaving peer cannot fill the memory; default 16 MiB. */
  readonly maxBodyBytes?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A keep-alive agent for many requests to `url`'s server, trusting `ca` when it is https. */
export function keepAliveAgent(url: string | URL, options: { ca?: CaBundle | undefined; maxSockets?: number } = {}): HttpAgent {
  const base = { keepAlive: true, ...(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets }) };
  if (new URL(url).protocol !== 'https:') return new HttpAgent(base);
  return new HttpsAgent({ ...base, ...(options.ca === undefined ? {} : { ca: options.ca as string | Buffer | Array<string | Buffer> }) });
}

function tlsOptions(options: HttpRequestOptions): Record<string, unknown> {
  if (options.insecure === true) return { rejectUnauthorized: false };
  return options.ca === undefined ? {} : { ca: options.ca };
}

/** One request. Resolves with any HTTP status; rejects on connection errors, the deadline and the body cap. */
export function httpRequest(url: string | URL, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const https = target.protocol === 'https:';
  const method = options.method ?? 'GET';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const send = https ? sendHttps : sendHttp;
  // Errors name the URL without its query or credentials, which may hold secrets (webhook tokens).
  const what = `${method} ${target.origin}${target.pathname}`;
  return new Promise((resolve, reject) => {
    const req = send(target, {
      method,
      headers: options.headers,
      agent: options.agent ?? false,
      ...(https ? tlsOptions(options) : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > maxBodyBytes) req.destroy(new Error(`${what}: answer longer than ${maxBodyBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(options.body);
  });
}
