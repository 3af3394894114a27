import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AuditRecord } from './chain.ts';
import type { AuditSink } from './sinks.ts';
import { recordJson } from './wire.ts';

export interface WebhookTarget {
  url: URL;
  headers: Record<string, string>;
  ca: Buffer | undefined;
  timeoutMs: number;
}

/** An HTTP(S) webhook: each batch is one POST of `{"records": [...]}`; any 2xx acknowledges it. */
export class WebhookSink implements AuditSink {
  private readonly agent: HttpAgent;

  constructor(readonly name: string, private readonly target: WebhookTarget) {
    const https = target.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true, ...(target.ca ? { ca: target.ca } : {}) }) : new HttpAgent({ keepAlive: true });
  }

  async deliver(records: readonly AuditRecord[]): Promise<void> {
    const body = Buffer.from(JSON.stringify({ records: records.map(recordJson) }), 'utf8');
    const status = await this.post(body);
    if (status < 200 || status > 299) throw new Error(`webhook ${this.name} answered HTTP ${status}`);
  }

  private post(body: Buffer): Promise<number> {
    const { url, headers, timeoutMs } = this.target;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'POST', agent: this.agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': 'certainty-audit' },
      });
      const timer = setTimeout(() => req.destroy(new Error(`webhook ${this.name} did not answer within ${timeoutMs} ms`)), timeoutMs);
      req.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.once('response', (res) => {
        res.resume();
        res.once('end', () => {
          clearTimeout(timer);
          resolve(res.statusCode ?? 0);
        });
        res.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
