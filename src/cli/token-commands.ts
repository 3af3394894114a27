import { Option, type Command } from 'commander';
import { PERMISSIONS, TOKEN_ROLES } from '../admin/roles.ts';
import { humanDuration, parseDuration } from '../duration.ts';
import { table } from '../table.ts';
import { admin, withCa } from './admin-commands.ts';
import { print } from './options.ts';

type Json = { json?: boolean };

interface CreateOptions extends Json {
  role: string;
  ttl?: string;
  pathPrefix?: string;
  breakGlass?: boolean;
}

/** "3 min ago", "never" */
const ago = (iso: string | null, now: number): string => (iso === null ? 'never' : `${humanDuration(now - Date.parse(iso))} ago`);

function registerTokens(program: Command): void {
  const token = program.command('token').description('admin API bearer tokens');
  token.command('create <name>').description('create a token (shown once)')
    // The choices feed shell completion; the parser also takes a custom role's name (checked against the database).
    .addOption(new Option('--role <role>', `a built-in role (${TOKEN_ROLES.join(', ')}) or a custom one ("certainty role list")`).choices(TOKEN_ROLES).argParser((v) => v).default('admin'))
    .option('--ttl <duration>', 'expire after this long, e.g. 12h or 90d (default: never)')
    .option('--path-prefix <path>', 'only admin paths under this one, e.g. /admin/secrets/data/team-a')
    .option('--break-glass', 'an emergency admin token: needs --ttl (at most 24h); every use is audited and logged as a warning')
    .option('--json', 'print JSON')
    .action((name: string, opts: CreateOptions, cmd: Command) => withCa(cmd, async (ctx) => {
      const t = await admin(ctx).tokens.create(name, {
        role: opts.role, ...(opts.ttl === undefined ? {} : { ttlMs: parseDuration(opts.ttl) }),
        ...(opts.pathPrefix === undefined ? {} : { pathPrefix: opts.pathPrefix }), ...(opts.breakGlass === true ? { breakGlass: true } : {}),
      });
      const expiry = t.expiresAt === null ? 'never expires' : `expires ${t.expiresAt}`;
      const scope = t.pathPrefix === null ? '' : `, only under ${t.pathPrefix}`;
      if (t.breakGlass) process.stderr.write(`Break-glass token ${t.id}: its creation and every use are audited with breakGlass: true and logged as warnings; revoke it when the emergency is over.\n`);
      print(opts.json === true, t, () => `Token ${t.id} for "${name}" (role ${t.role}${scope}, ${expiry}):\n${t.token}\n(shown once; send it as "Authorization: Bearer <token>")`);
    }));
  token.command('list').description('list tokens').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withCa(cmd, async (ctx) => {
      const rows = await admin(ctx).tokens.list();
      const now = Date.now();
      const expiry = (iso: string | null): string => (iso === null ? 'never' : Date.parse(iso) <= now ? 'expired' : `in ${humanDuration(Date.parse(iso) - now)}`);
      print(opts.json === true, rows, () => table(['ID', 'NAME', 'ROLE', 'SCOPE', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'], rows.map((t) => [
        t.id, t.name, t.breakGlass ? `${t.role} (break-glass)` : t.role, t.pathPrefix ?? '-', t.createdAt, expiry(t.expiresAt), ago(t.lastUsedAt, now), t.revoked ? 'yes' : 'no',
      ])));
    }));
  token.command('revoke <id>').description('revoke a token')
    .action((id: string, _opts: unknown, cmd: Command) => withCa(cmd, async (ctx) => {
      if (!(await admin(ctx).tokens.revoke(id))) throw new Error(`no unrevoked token ${id}; see "certainty token list"`);
      process.stdout.write(`Revoked token ${id}\n`);
    }));
}

function registerRoles(program: Command): void {
  const role = program.command('role').description('custom roles for admin tokens (the built-in ones are in docs/admin-api.md)');
  role.command('create <name>').description('define a role: a name and its permissions')
    .addOption(new Option('--permission <permission...>', 'a permission it grants (repeat or list several)').choices(PERMISSIONS).makeOptionMandatory())
    .option('--description <text>', 'what the role is for', '')
    .option('--json', 'print JSON')
    .action((name: string, opts: Json & { permission: string[]; description: string }, cmd: Command) => withCa(cmd, async (ctx) => {
      const r = await admin(ctx).roles.create(name, opts.permission, opts.description);
      print(opts.json === true, r, () => `Role ${r.name}: ${r.permissions.join(', ')}\n(use it with "certainty token create NAME --role ${r.name}")`);
    }));
  role.command('list').description('list custom roles').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withCa(cmd, async (ctx) => {
      const rows = await admin(ctx).roles.list();
      print(opts.json === true, rows, () => table(['NAME', 'PERMISSIONS', 'DESCRIPTION', 'CREATED'], rows.map((r) => [r.name, r.permissions.join(','), r.description || '-', new Date(r.createdAt).toISOString()])));
    }));
  role.command('show <name>').description('show one custom role and how many live tokens have it').option('--json', 'print JSON')
    .action((name: string, opts: Json, cmd: Command) => withCa(cmd, async (ctx) => {
      const r = await admin(ctx).roles.show(name);
      print(opts.json === true, r, () => `name         ${r.name}\npermissions  ${r.permissions.join(', ')}\ndescription  ${r.description || '-'}\ncreated      ${new Date(r.createdAt).toISOString()}\nlive tokens  ${r.liveTokens}`);
    }));
  role.command('remove <name>').description('remove a custom role (tokens that have it are refused from then on)')
    .action((name: string, _opts: unknown, cmd: Command) => withCa(cmd, async (ctx) => {
      const { liveTokens } = await admin(ctx).roles.remove(name);
      process.stdout.write(`Removed role ${name}${liveTokens > 0 ? `; ${liveTokens} live token(s) had it and are now refused (see "certainty token list")` : ''}\n`);
    }));
}

export function registerTokenCommands(program: Command): void {
  registerTokens(program);
  registerRoles(program);
}
