/** The notify domain's types: channels, the messages queued for them, and delivery state. */
import type { ConditionKind } from '../lifecycle/events.ts';

export const CHANNEL_KINDS = ['email', 'webhook', 'slack'] as const;

/** SMTP settings; the password (when the server wants AUTH) is kept apart, wrapped by the KEK. */
export interface EmailConfig {
  host: string;
  port: number;
  /** `required` (default): refuse to send unless the server offers STARTTLS. `none`: plain SMTP (a local relay only). */
  starttls: 'required' | 'none';
  username?: string;
  from: string;
  to: string[];
  /** PEM bundle trusted for the server's STARTTLS certificate; unset: the system's roots. */
  trustPem?: string;
}

/** A webhook: the URL is not secret; the HMAC key is kept apart, wrapped by the KEK. */
interface WebhookConfig {
  url: string;
  trustPem?: string;
}

/** Public settings of a channel (what `notify list` shows); Slack's URL is a secret, so it has none. */
export type ChannelConfig =
  | { kind: 'email'; email: EmailConfig }
  | { kind: 'webhook'; webhook: WebhookConfig }
  | { kind: 'slack' };

/** What is wrapped: the SMTP password, the webhook's HMAC key, or the Slack webhook URL. */
export interface ChannelSecret {
  password?: string;
  hmacKey?: string;
  url?: string;
}

export type Channel = ChannelConfig & {
  name: string;
  /** Kinds the channel is told about; empty means all. */
  events: ConditionKind[];
  createdAt: number;
};

export interface NewChannel {
  channel: Channel;
  secretWrapped: Buffer | undefined;
}

/** `raised` (or a one-shot event), or `resolved` when a failure condition cleared. */
export type Phase = 'raised' | 'resolved';

/** One message as queued for a channel and as senders format it. */
export interface Message {
  kind: ConditionKind | 'test';
  phase: Phase;
  name: string;
  subject: string;
  /** One line, for an email subject or a chat headline. */
  title: string;
  /** Plain words: what happened and what to do next. */
  text: string;
  /** ISO 8601. */
  at: string;
}

export interface OutboxEntry {
  id: string;
  channel: string;
  message: Message;
  attempts: number;
  lastError: string | undefined;
  createdAt: number;
  deliveredAt: number | undefined;
}

/** AAD a channel's secret is wrapped under (also how `kek rotate` finds it). */
export const channelSecretAad = (name: string): string => `notify-channel:${name}`;
