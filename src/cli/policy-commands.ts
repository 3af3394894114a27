import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { adminServices } from '../context.ts';
import { parseDuration } from '../duration.ts';
import { attachPolicy, deletePolicy, listPolicies, putPolicy, showPolicy, type PolicyDeps } from '../secrets/policies.ts';
import type { SecretDeps } from '../secrets/deps.ts';
import { parseRules } from '../secrets/policy.ts';
import type { Policy } from '../secrets/types.ts';
import type { AuditActor } from '../audit/log.ts';
import { print } from './options.ts';
import { withSecrets } from './secrets-context.ts';
import { table } from '../table.ts';

type Json = { json?: boolean };

const policyDeps = (deps: SecretDeps, audit: AuditActor): PolicyDeps => ({ policies: deps.policies, now: deps.now, actor: audit.actor });

/** `--rule 'cluster/**=read,list'` options, or a JSON file of rules ([{"path": …, "capabilities": […]}]). */
function rulesOf(opts: { rule?: string[]; file?: string }): unknown {
  if (opts.file !== undefined) return JSON.parse(readFileSync(opts.file, 'utf8')) as unknown;
  return (opts.rule ?? []).map((r) => {
    const eq = r.lastIndexOf('=');
    if (eq <= 0) throw new Error(`--rule takes GLOB=CAPABILITY,… e.g. 'cluster/**=read,list' (got "${r}")`);
    return { path: r.slice(0, eq), capabilities: r.slice(eq + 1).split(',').map((c) => c.trim()) };
  });
}

const policyText = (p: Policy): string => [
  `${p.name}  attached to: ${p.tokens.length === 0 ? 'no token' : p.tokens.join(', ')}`,
  table(['PATH', 'CAPABILITIES'], p.rules.map((r) => [r.path, r.capabilities.join(',')])),
].join('\n');

function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('secrets policies: path globs with capabilities, attached to tokens');
  policy.command('put <name>').description('create or replace a policy')
    .option('--rule <glob=caps...>', 'e.g. \'cluster/**=read,read-metadata,list\'').option('--file <json>', 'rules as JSON: [{"path": "cluster/**", "capabilities": ["read"]}]').option('--json', 'print JSON')
    .action((name: string, opts: Json & { rule?: string[]; file?: string }, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const p = await putPolicy(policyDeps(deps, audit), name, rulesOf(opts));
      print(opts.json === true, p, () => policyText(p));
    }));
  policy.command('list').description('every policy').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withSecrets(cmd, async (deps) => {
      const rows = await listPolicies(deps);
      print(opts.json === true, rows, () => table(['NAME', 'RULES', 'TOKENS'], rows.map((p) => [p.name, String(p.rules.length), p.tokens.join(',') || '-'])));
    }));
  policy.command('show <name>').description('one policy').option('--json', 'print JSON')
    .action((name: string, opts: Json, cmd: Command) => withSecrets(cmd, async (deps) => {
      const p = await showPolicy(deps, name);
      print(opts.json === true, p, () => policyText(p));
    }));
  policy.command('delete <name>').description('delete a policy (its tokens lose what it granted)')
    .action((name: string, _opts: unknown, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      await deletePolicy(policyDeps(deps, audit), name);
      process.stdout.write(`Deleted policy ${name}\n`);
    }));
  for (const [verb, on] of [['attach', true], ['detach', false]] as const) {
    policy.command(`${verb} <name> <token-id>`).description(`${verb} a policy ${on ? 'to' : 'from'} a token (its id, as "certainty token list" shows)`)
      .action((name: string, tokenId: string, _opts: unknown, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
        const changed = await attachPolicy(policyDeps(deps, audit), name, tokenId, on);
        process.stdout.write(changed ? `${on ? 'Attached' : 'Detached'} ${name} ${on ? 'to' : 'from'} token ${tokenId}\n` : `Nothing to do: ${name} was ${on ? 'already' : 'not'} attached to ${tokenId}\n`);
      }));
  }
}

const READ_ONLY = ['read', 'read-metadata', 'list'];

/** `certainty secret token create`: a machine token with a TTL and a policy of its own over one prefix. */
function registerMachineTokens(secret: Command): void {
  secret.command('token').description('machine tokens scoped to a path prefix').command('create <name>')
    .description('create a machine token that may only use secrets under --prefix (read-only unless --grant says more); shown once')
    .requiredOption('--prefix <path/>', 'e.g. cluster/ (everything under it)').requiredOption('--ttl <duration>', 'lifetime, e.g. 24h or 30d')
    .option('--grant <caps>', 'capabilities under the prefix', READ_ONLY.join(',')).option('--json', 'print JSON')
    .action((name: string, opts: Json & { prefix: string; ttl: string; grant: string }, cmd: Command) => withSecrets(cmd, async (deps, audit, ctx) => {
      const glob = opts.prefix.endsWith('/') ? `${opts.prefix}**` : `${opts.prefix}/**`;
      const rules = [{ path: glob, capabilities: opts.grant.split(',').map((c) => c.trim()) }];
      const ttlMs = parseDuration(opts.ttl);
      // The rules are checked before the token exists, so a bad --grant creates nothing.
      parseRules(rules);
      const t = await adminServices({ db: ctx.db, kek: ctx.kek, audit, now: Date.now }).tokens.create(name, { role: 'machine', ttlMs });
      const policy = `token-${t.id}`;
      await putPolicy(policyDeps(deps, audit), policy, rules);
      await attachPolicy(policyDeps(deps, audit), policy, t.id);
      print(opts.json === true, { ...t, policy, rules }, () => `Token ${t.id} for "${name}" (machine, expires ${t.expiresAt ?? 'never'}), policy ${policy}: ${glob} ${rules[0]?.capabilities.join(',')}\n${t.token}\n(shown once)`);
    }));
}

export function registerPolicyCommands(program: Command, secret: Command): void {
  registerPolicy(program);
  registerMachineTokens(secret);
}
