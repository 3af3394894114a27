import type { Command } from 'commander';
import type { ConsoleSessionSelector } from '../admin/store.ts';
import { humanDuration } from '../duration.ts';
import { table } from '../table.ts';
import { admin, withCa } from './admin-commands.ts';
import { print } from './options.ts';

interface SignOutOptions { subject?: string; all?: boolean; json?: boolean }

/** Exactly one of a handle, --subject or --all. */
function selector(handle: string | undefined, opts: SignOutOptions): ConsoleSessionSelector {
  const given = [handle !== undefined, opts.subject !== undefined, opts.all === true].filter(Boolean).length;
  if (given !== 1) throw new Error('name the sessions to end: a HANDLE from "certainty console sessions", or --subject TOKEN-ID|SUBJECT, or --all');
  if (opts.all === true) return { all: true };
  return opts.subject !== undefined ? { subject: opts.subject } : { handle: handle as string };
}

export function registerConsoleCommands(program: Command): void {
  const console = program.command('console').description('web console sessions: who is signed in, and signing them out');
  console.command('sessions').description('list the console sessions that are signed in').option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => withCa(cmd, async (ctx) => {
      const rows = await admin(ctx).consoleSessions.list();
      const now = Date.now();
      const ago = (iso: string): string => `${humanDuration(Math.max(0, now - Date.parse(iso)))} ago`;
      print(opts.json === true, rows, () => (rows.length === 0 ? 'No one is signed in to the console.' : table(
        ['HANDLE', 'SIGNED IN WITH', 'WHO', 'ROLE', 'SIGNED IN', 'LAST SEEN', 'ENDS'],
        rows.map((s) => [s.handle, s.kind === 'token' ? 'admin token' : 'single sign-on', s.subject, s.role, ago(s.createdAt), ago(s.lastSeenAt), `in ${humanDuration(Date.parse(s.expiresAt) - now)}`]),
      )));
    }));
  console.command('sign-out [handle]').description('end console sessions at once, on every node: one by its handle, all of a token or subject, or all')
    .option('--subject <who>', "every session of this token id or single sign-on subject")
    .option('--all', 'every session')
    .option('--json', 'print JSON')
    .action((handle: string | undefined, opts: SignOutOptions, cmd: Command) => withCa(cmd, async (ctx) => {
      const ended = await admin(ctx).consoleSessions.end(selector(handle, opts));
      print(opts.json === true, { ended }, () => `Ended ${ended} console session${ended === 1 ? '' : 's'}; the next request of each is sent to the sign-in page`);
    }));
}
