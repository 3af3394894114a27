import { createHmac } from 'node:crypto';
import { httpRequest } from '../http-client.ts';
import type { SecretNotifier } from './deps.ts';

export interface SecretWebhookTarget {
  url: URL;
  /** HMAC-SHA256 key shared with the receiver. */
  key: Buffer;
  timeoutMs: number;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it over the raw
 * body and refuses old timestamps, so a captured delivery cannot be replayed later.
 */
export function webhookSignature(key: Buffer, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', key).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** Tells a webhook about rotations and honeytoken reveals: path, version, actor and time, never a value. */
export class SecretWebhook implements SecretNotifier {
  constructor(private readonly target: SecretWebhookTarget) {}

  async notify(event: Parameters<SecretNotifier['notify']>[0]): Promise<void> {
    const body = JSON.stringify({ ...event, at: new Date(event.at).toISOString() });
    const signature = webhookSignature(this.target.key, body, Math.floor(Date.now() / 1000));
    const res = await httpRequest(this.target.url, {
      method: 'POST', body, timeoutMs: this.target.timeoutMs,
      headers: { 'content-type': 'application/json', 'user-agent': 'certainty-secrets', 'x-certainty-event': event.event, 'x-certainty-signature': signature },
    });
    if (res.status < 200 || res.status > 299) throw new Error(`the secrets webhook answered HTTP ${res.status}`);
  }
}
