/** What an operator (CLI flags or an admin API body) gives for a new channel, checked into a `Channel`. */
import { AppError } from '../errors.ts';
import { CONDITION_KINDS, type ConditionKind } from '../lifecycle/events.ts';
import { CHANNEL_KINDS, type Channel, type ChannelSecret, type EmailConfig } from './types.ts';

export interface ChannelInput {
  name: string;
  type: string;
  /** Condition kinds to hear about; none or empty: all. */
  events?: string[];
  /** Email. */
  host?: string;
  port?: number;
  starttls?: string;
  username?: string;
  from?: string;
  to?: string[];
  /** Email and webhook: a PEM bundle to trust for the server's certificate. */
  trustPem?: string;
  /** Webhook (not secret). */
  url?: string;
  /** The SMTP password, the webhook's HMAC key or the Slack webhook URL. */
  secret?: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MAILBOX = /^[^\s<>@]+@[^\s<>@]+$/;
const bad = (detail: string): AppError => new AppError('malformed', detail);

function events(list: string[] | undefined): ConditionKind[] {
  const out = (list ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== '' && e !== 'all');
  for (const e of out) if (!(CONDITION_KINDS as readonly string[]).includes(e)) throw bad(`unknown event "${e.slice(0, 40)}"; choose from ${CONDITION_KINDS.join(', ')} (or all)`);
  return [...new Set(out)] as ConditionKind[];
}

function email(i: ChannelInput): EmailConfig {
  const port = i.port ?? 587;
  if (i.host === undefined || i.host === '') throw bad('an email channel needs the SMTP server: --smtp-host HOST (and --smtp-port, 587 by default)');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`SMTP port ${String(port)} must be 1-65535`);
  const starttls = i.starttls ?? 'required';
  if (starttls !== 'required' && starttls !== 'none') throw bad('starttls must be "required" (the default) or "none" (a local relay only)');
  if (i.from === undefined || !MAILBOX.test(i.from)) throw bad('an email channel needs --from ADDRESS (e.g. certainty@example.com)');
  const to = i.to ?? [];
  if (to.length === 0) throw bad('an email channel needs at least one --to ADDRESS');
  for (const t of to) if (!MAILBOX.test(t)) throw bad(`recipient "${t.slice(0, 80)}" is not an email address`);
  if (i.username !== undefined && starttls === 'none') throw bad('a username and password are only sent inside STARTTLS; drop --insecure-no-starttls');
  return { host: i.host, port, starttls, from: i.from, to, ...(i.username === undefined ? {} : { username: i.username }), ...(i.trustPem === undefined ? {} : { trustPem: i.trustPem }) };
}

function httpsOrLoopback(url: string | undefined, what: string): URL {
  let u: URL;
  try {
    u = new URL(url ?? '');
  } catch {
    throw bad(`${what} must be a URL`);
  }
  const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw bad(`${what} must be https:// (plain http:// only to this machine)`);
  return u;
}

/** The channel and its secret, or a `malformed` error naming what to fix. */
export function parseChannelInput(i: ChannelInput, now: number): { channel: Channel; secret: ChannelSecret | undefined } {
  if (!NAME.test(i.name)) throw bad(`channel name "${i.name.slice(0, 80)}" must be 1-63 lowercase letters, digits, ".", "_" or "-"`);
  if (!(CHANNEL_KINDS as readonly string[]).includes(i.type)) throw bad(`channel type "${i.type.slice(0, 40)}" must be one of ${CHANNEL_KINDS.join(', ')}`);
  const base = { name: i.name, events: events(i.events), createdAt: now };
  if (i.type === 'email') {
    const config = email(i);
    if (config.username !== undefined && i.secret === undefined) throw bad('an SMTP username needs its password (--secret-file FILE)');
    return { channel: { ...base, kind: 'email', email: config }, secret: i.secret === undefined ? undefined : { password: i.secret } };
  }
  if (i.type === 'webhook') {
    const url = httpsOrLoopback(i.url, 'the webhook --url');
    // The URL is listed to read-only roles: credentials belong in the HMAC key, not in the URL.
    if (url.username !== '' || url.password !== '' || url.search !== '') throw bad('the webhook --url must not carry a user, password or query string (they would be shown to every reader); the receiver authenticates Certainty by the HMAC signature');
    if (i.secret === undefined || i.secret.length < 16) throw bad('a webhook channel needs an HMAC key of at least 16 characters (--secret-file FILE, e.g. from openssl rand -hex 32)');
    return { channel: { ...base, kind: 'webhook', webhook: { url: url.href, ...(i.trustPem === undefined ? {} : { trustPem: i.trustPem }) } }, secret: { hmacKey: i.secret } };
  }
  httpsOrLoopback(i.secret, 'the Slack webhook URL (--secret-file FILE holding it)');
  return { channel: { ...base, kind: 'slack' }, secret: { url: i.secret ?? '' } };
}
