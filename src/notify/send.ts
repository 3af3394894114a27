/**
 * Sends one message through one channel: email over SMTP, a webhook POST signed like the deploy
 * webhook target (`X-Certainty-Signature: sha256=<HMAC-SHA256(key, timestamp + "." + body)>`),
 * or a Slack-compatible incoming webhook (`{"text": ..., "blocks": [...]}`).
 */
import { httpRequest } from '../http-client.ts';
import { webhookSignature } from '../lifecycle/deploy/webhook-target.ts';
import { sendMail } from './smtp.ts';
import type { Channel, ChannelSecret, Message } from './types.ts';

export interface SendDeps {
  now: () => number;
  timeoutMs: number;
}

/** The JSON body of a webhook channel. */
export const webhookBody = (m: Message): string => JSON.stringify({ event: m.kind, phase: m.phase, name: m.name, subject: m.subject, title: m.title, text: m.text, at: m.at });

/** Slack's incoming-webhook payload: `text` for every client (and Mattermost, Rocket.Chat), blocks for Slack's layout. */
export function slackBody(m: Message): string {
  const mark = m.phase === 'resolved' ? ':white_check_mark:' : m.kind === 'issued' || m.kind === 'renewed' || m.kind === 'test' ? ':information_source:' : ':warning:';
  return JSON.stringify({
    text: `${m.title}: ${m.text}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${mark} ${m.text}` } },
    ],
  });
}

/** `hide`: a secret that must not appear in the error (the Slack URL's path is its token). */
async function post(url: URL, body: string, headers: Record<string, string>, deps: SendDeps, ca: string | undefined, what: string, hide?: string): Promise<void> {
  const res = await httpRequest(url, {
    method: 'POST', body, timeoutMs: deps.timeoutMs, ...(ca === undefined ? {} : { ca }),
    headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'certainty-notify' },
  }).catch((err: unknown) => {
    const said = (err as Error).message;
    throw new Error(`${what} could not be reached: ${hide === undefined ? said : said.split(hide).join('/…')}`);
  });
  if (res.status < 200 || res.status > 299) throw new Error(`${what} answered HTTP ${res.status}; it must answer 2xx once it has the message`);
}

export async function send(channel: Channel, secret: ChannelSecret, m: Message, deps: SendDeps): Promise<void> {
  switch (channel.kind) {
    case 'email': {
      const e = channel.email;
      return sendMail({
        host: e.host, port: e.port, starttls: e.starttls, ca: e.trustPem, username: e.username, password: secret.password,
        from: e.from, to: e.to, subject: `[Certainty] ${m.title}`, text: m.text, timeoutMs: deps.timeoutMs,
      });
    }
    case 'webhook': {
      const url = new URL(channel.webhook.url);
      const body = webhookBody(m);
      const timestamp = String(Math.floor(deps.now() / 1000));
      const headers = { 'x-certainty-event': m.kind, 'x-certainty-timestamp': timestamp, 'x-certainty-signature': webhookSignature(secret.hmacKey ?? '', timestamp, body) };
      return post(url, body, headers, deps, channel.webhook.trustPem, `webhook ${url.origin}${url.pathname}`);
    }
    case 'slack': {
      // The URL is the credential: errors name the channel, never the URL's path.
      const url = new URL(secret.url ?? '');
      return post(url, slackBody(m), {}, deps, undefined, `the Slack webhook of channel ${channel.name}`, url.pathname);
    }
  }
}
