import type { Command } from 'commander';
import { notifyService } from '../context.ts';
import type { ChannelInput } from '../notify/channel-input.ts';
import type { NotifyService } from '../notify/channels.ts';
import type { Channel, OutboxEntry } from '../notify/types.ts';
import { table } from '../table.ts';
import { withCa } from './admin-commands.ts';
import { print, readText } from './options.ts';

type Json = { json?: boolean };
const collect = (v: string, prev: string[]): string[] => [...prev, v];

interface AddOptions extends Json {
  type: string;
  event: string[];
  smtpHost?: string;
  smtpPort?: string;
  smtpUser?: string;
  insecureNoStarttls?: boolean;
  from?: string;
  to: string[];
  trust?: string;
  url?: string;
  secretFile?: string;
}

/** Opens the database and KEK (never creating them), runs `fn` recording as the operator, seals the audit, closes. */
function withNotify<T>(cmd: Command, fn: (s: NotifyService) => Promise<T>): Promise<T> {
  return withCa(cmd, (ctx) => fn(notifyService({ db: ctx.db, kek: ctx.kek, audit: ctx.audit, now: Date.now })));
}

function inputOf(name: string, o: AddOptions): ChannelInput {
  const opt = <K extends keyof ChannelInput>(k: K, v: ChannelInput[K] | undefined): Partial<ChannelInput> => (v === undefined ? {} : { [k]: v });
  return {
    name, type: o.type, events: o.event, to: o.to,
    ...opt('host', o.smtpHost), ...opt('port', o.smtpPort === undefined ? undefined : Number(o.smtpPort)), ...opt('username', o.smtpUser),
    ...opt('starttls', o.insecureNoStarttls === true ? 'none' : undefined), ...opt('from', o.from), ...opt('url', o.url),
    ...opt('trustPem', o.trust === undefined ? undefined : readText(o.trust, 'trust bundle')),
    // Secrets come from a file, never a flag: flags end up in shell history and process lists.
    ...opt('secret', o.secretFile === undefined ? undefined : readText(o.secretFile, 'secret file').trim()),
  };
}

/** Where a channel sends, without its secret (Slack's URL is one). */
function destination(c: Channel): string {
  if (c.kind === 'email') return `${c.email.to.join(', ')} via ${c.email.host}:${c.email.port}${c.email.starttls === 'none' ? ' (no STARTTLS)' : ''}`;
  if (c.kind === 'webhook') return c.webhook.url;
  return 'Slack webhook (URL kept secret)';
}

export function registerNotifyCommands(program: Command): void {
  const notify = program.command('notify').description('notification channels for managed certificates: email, webhook, Slack');
  notify.command('add <name>').description('add a channel; its password, HMAC key or Slack URL is stored wrapped by the KEK')
    .requiredOption('--type <type>', 'email, webhook or slack')
    .option('--event <kind>', 'only these events (repeatable or comma-separated; default all)', collect, [])
    .option('--smtp-host <host>', 'email: the SMTP server').option('--smtp-port <port>', 'email: its port (default 587)')
    .option('--smtp-user <user>', 'email: login (the password comes from --secret-file)')
    .option('--insecure-no-starttls', 'email: send without STARTTLS (a local relay only)')
    .option('--from <address>', 'email: sender').option('--to <address>', 'email: recipient (repeatable)', collect, [])
    .option('--trust <file>', 'email, webhook: PEM bundle to trust for the server\'s certificate')
    .option('--url <url>', 'webhook: where to POST')
    .option('--secret-file <file>', 'the SMTP password, the webhook HMAC key, or the Slack webhook URL')
    .option('--json', 'print JSON')
    .action((name: string, o: AddOptions, cmd: Command) => withNotify(cmd, async (s) => {
      const c = await s.add(inputOf(name, o));
      print(o.json === true, c, () => `Channel ${c.name} (${c.kind}) added: ${destination(c)}; try it with "certainty notify test ${c.name}"`);
    }));
  notify.command('list').description('list channels (never their secrets)').option('--json', 'print JSON')
    .action((o: Json, cmd: Command) => withNotify(cmd, async (s) => {
      const rows = await s.list();
      print(o.json === true, rows, () => table(['NAME', 'TYPE', 'EVENTS', 'DESTINATION'], rows.map((c) => [c.name, c.kind, c.events.length === 0 ? 'all' : c.events.join(','), destination(c)])));
    }));
  notify.command('outbox').description('the newest messages and their delivery: attempts, last error').option('--limit <n>', 'how many', '20').option('--json', 'print JSON')
    .action((o: Json & { limit: string }, cmd: Command) => withNotify(cmd, async (s) => {
      const rows = await s.outbox(Number(o.limit));
      const state = (e: OutboxEntry): string => (e.deliveredAt !== undefined ? 'delivered' : e.attempts === 0 ? 'queued' : `retrying: ${e.lastError ?? ''}`);
      print(o.json === true, rows, () => table(['CREATED', 'CHANNEL', 'EVENT', 'NAME', 'ATTEMPTS', 'STATE'], rows.map((e) => [
        new Date(e.createdAt).toISOString(), e.channel, `${e.message.kind}${e.message.phase === 'resolved' ? ' (resolved)' : ''}`, e.message.name, String(e.attempts), state(e),
      ])));
    }));
  notify.command('remove <name>').description('remove a channel and its undelivered messages')
    .action((name: string, _o: unknown, cmd: Command) => withNotify(cmd, async (s) => {
      await s.remove(name);
      process.stdout.write(`Channel ${name} removed\n`);
    }));
  notify.command('test <name>').description('send a test message through a channel now and report the outcome').option('--json', 'print JSON')
    .action((name: string, o: Json, cmd: Command) => withNotify(cmd, async (s) => {
      const r = await s.test(name);
      print(o.json === true, r, () => (r.delivered ? `Test message delivered through ${name}` : `Test message NOT delivered through ${name}: ${r.detail}`));
      if (!r.delivered) process.exitCode = 1;
    }));
}
