import type { Agent } from 'node:http';
import { httpRequest, keepAliveAgent } from '../http-client.ts';
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
  private readonly agent: Agent;

  constructor(readonly name: string, private readonly target: WebhookTarget) {
    this.agent = keepAliveAgent(target.url, { ca: target.ca });
  }

  async deliver(records: readonly AuditRecord[]): Promise<void> {
    const body = Buffer.from(JSON.stringify({ records: records.map(recordJson) }), 'utf8');
    const status = await this.post(body);
    if (status < 200 || status > 299) throw new Error(`webhook ${this.name} answered HTTP ${status}`);
  }

  private async post(body: Buffer): Promise<number> {
    const { url, headers, timeoutMs } = this.target;
    const res = await httpRequest(url, {
      method: 'POST', agent: this.agent, body, timeoutMs,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': 'certainty-audit' },
    }).catch((err: unknown) => {
      throw new Error(`webhook ${this.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
    return res.status;
  }

  close(): void {
    this.agent.destroy();
  }
}
