import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpOptions {
  readonly method?: string;
  readonly body?: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** Trust anchors for https URLs (PEM). */
  readonly ca?: string | Buffer;
  /** Only for readiness probes that run before the trust anchor is known. */
  readonly insecure?: boolean;
  /** Limit for the whole exchange; default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * One HTTP(S) request with an explicit trust anchor. (Node's global `fetch` cannot take a CA
 * without importing undici, which is not a dependency.)
 */
export function httpRequestOnce(url: string, options: HttpOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const method = options.method ?? 'GET';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const tls = target.protocol === 'https:' ? { ca: options.ca, rejectUnauthorized: options.insecure !== true } : {};
    const req = send(target, { method, headers: options.headers, agent: false, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(options.body);
  });
}

/** POSTs a JSON body and fails unless the answer is 2xx. */
export async function postJson(
  url: string,
  body: unknown,
  options: Omit<HttpOptions, 'method' | 'body'> = {},
): Promise<HttpResponse> {
  const res = await httpRequestOnce(url, {
    ...options,
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...options.headers },
  });
  if (res.status < 200 || res.status > 299) {
    throw new Error(`POST ${url} answered ${res.status}: ${res.body.toString('utf8')}`);
  }
  return res;
}
