import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseApplyText, resolveSources, type SecretSources } from '../admin/apply-document.ts';
import { lifecycleServices, type LifecycleServices } from '../context.ts';
import type { IssuerInput } from '../lifecycle/issuers.ts';
import { parseRateLimit, rateLimitText } from '../lifecycle/rate-budget.ts';
import type { TargetDeploy } from '../lifecycle/deploy-status.ts';
import type { ManagedView } from '../lifecycle/managed.ts';
import type { SolverView } from '../lifecycle/solvers.ts';
import { ruleText } from '../lifecycle/status.ts';
import type { Issuer, Revision } from '../lifecycle/types.ts';
import { table } from '../table.ts';
import { withCa } from './admin-commands.ts';
import { print, readText } from './options.ts';
import { progress } from './progress.ts';

type Json = { json?: boolean };
const collect = (v: string, prev: string[]): string[] => [...prev, v];
const iso = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());

/** Opens the database and KEK (never creating them), runs `fn` recording as the operator, seals the audit, closes. */
function withLifecycle<T>(cmd: Command, fn: (s: LifecycleServices) => Promise<T>): Promise<T> {
  return withCa(cmd, (ctx) => fn(lifecycleServices({ db: ctx.db, kek: ctx.kek, audit: ctx.audit, now: Date.now })));
}

function issuerText(i: Issuer): string {
  const rows: Array<[string, string]> = [['name', i.name], ['kind', i.kind]];
  if (i.acme) {
    rows.push(['directory', i.acme.directoryUrl], ['contact', i.acme.contact.join(', ') || '-'], ['eab', i.hasEab ? `key id ${i.acme.eabKid ?? '?'}` : 'none']);
    rows.push(['trust', i.acme.trustPem ? 'own bundle' : 'system roots'], ['preferred chain', i.acme.preferredChain ?? '-'], ['profile', i.acme.profile ?? '-']);
    rows.push(['rate limit', rateLimitText(i.acme.rateLimit)]);
  }
  return rows.map(([k, v]) => `${k.padEnd(16)} ${v}`).join('\n');
}

function registerIssuer(program: Command): void {
  const issuer = program.command('issuer').description('issuers that managed certificates are ordered from (an upstream ACME CA, or this CA)');
  issuer.command('add <name>').description('add an issuer')
    .option('--kind <kind>', 'acme (an upstream ACME CA) or local (this CA)', 'acme')
    .option('--directory <url>', 'the upstream ACME directory URL').option('--contact <mailto>', 'account contact (repeatable)', collect, [])
    .option('--eab-kid <kid>', 'external account binding key id').option('--eab-hmac <key>', 'external account binding HMAC key (base64url)')
    .option('--trust <file>', 'PEM bundle to trust for the upstream\'s HTTPS').option('--preferred-chain <cn>', 'common name of the root of the chain to prefer')
    .option('--profile <name>', 'certificate profile to ask for').option('--json', 'print JSON')
    .option('--rate-limit <orders/period>', 'new orders the whole cluster may place, e.g. 300/3h (the default)')
    .action((name: string, o: Json & { kind: string; directory?: string; contact: string[]; eabKid?: string; eabHmac?: string; trust?: string; preferredChain?: string; profile?: string; rateLimit?: string }, cmd: Command) =>
      withLifecycle(cmd, async (s) => {
        const input: IssuerInput = {
          name, kind: o.kind as IssuerInput['kind'], contact: o.contact,
          ...(o.directory === undefined ? {} : { directoryUrl: o.directory }), ...(o.eabKid === undefined ? {} : { eabKid: o.eabKid }),
          ...(o.eabHmac === undefined ? {} : { eabHmacKey: o.eabHmac }), ...(o.trust === undefined ? {} : { trustPem: readText(o.trust, 'trust bundle') }),
          ...(o.preferredChain === undefined ? {} : { preferredChain: o.preferredChain }), ...(o.profile === undefined ? {} : { profile: o.profile }),
          ...(o.rateLimit === undefined ? {} : { rateLimit: parseRateLimit(o.rateLimit) }),
        };
        const added = await s.issuers.add(input);
        print(o.json === true, added, () => `Added issuer ${added.name} (${added.kind})`);
      }));
  issuer.command('list').description('list issuers').option('--json', 'print JSON')
    .action((o: Json, cmd: Command) => withLifecycle(cmd, async (s) => {
      const rows = await s.issuers.list();
      print(o.json === true, rows, () => table(['NAME', 'KIND', 'DIRECTORY', 'EAB'], rows.map((i) => [i.name, i.kind, i.acme?.directoryUrl ?? '-', i.hasEab ? 'yes' : 'no'])));
    }));
  issuer.command('show <name>').description('show one issuer').option('--json', 'print JSON')
    .action((name: string, o: Json, cmd: Command) => withLifecycle(cmd, async (s) => {
      const i = await s.issuers.show(name);
      print(o.json === true, i, () => issuerText(i));
    }));
  issuer.command('rollover <name>').description('change the upstream account key (ACME keyChange); run again if interrupted')
    .action((name: string, _o: unknown, cmd: Command) => withLifecycle(cmd, async (s) => {
      const { accountUrl } = await s.issuers.rollover(name);
      process.stdout.write(`Account ${accountUrl} of issuer ${name} now has a new key\n`);
    }));
  issuer.command('remove <name>').description('remove an issuer that no managed certificate uses')
    .action((name: string, _o: unknown, cmd: Command) => withLifecycle(cmd, async (s) => {
      await s.issuers.remove(name);
      process.stdout.write(`Removed issuer ${name}\n`);
    }));
}

function solverText(s: SolverView): string {
  if (s.type === 'http-01') return 'http-01 served by every node';
  if (s.type === 'exec') return `${s.challenge} by ${s.command}`;
  const r = s.rfc2136;
  return `dns-01 by RFC 2136 at ${r.server}:${r.port}, zone ${r.zone ?? '(found by SOA)'}, TSIG key ${r.keyName} (${r.keyAlgorithm})`;
}

function managedText(m: ManagedView): string {
  const rows: Array<[string, string]> = [
    ['name', m.name], ['issuer', m.issuer], ['names', m.spec.names.join(', ')], ['key', `${m.spec.keyType}${m.spec.reuseKey ? ' (reused)' : ' (new on every renewal)'}`],
    ['solver', solverText(m.spec.solver)],
    ['targets', String(m.spec.targets.length)], ['revision', m.current ? `${m.current.revision} serial ${m.current.serial}` : '-'],
    ['valid until', iso(m.current?.notAfter)], ['next renewal', iso(m.nextRenewalAt)], ['chosen by', ruleText(m.renewalRule)],
    ['ari window', m.ari ? `${iso(m.ari.start)} – ${iso(m.ari.end)}` : '-'], ['failures', String(m.failures)], ['status', m.status],
    ...(m.deploys ?? []).map(deployRow),
  ];
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n');
}

/** `target 0      file: verified (revision 3) at …; the endpoint serves this revision`. */
function deployRow(d: TargetDeploy): [string, string] {
  const revision = d.revision === undefined ? '' : ` (revision ${d.revision})`;
  return [`target ${d.target}`, `${d.type}: ${d.state}${revision}${d.at === undefined ? '' : ` at ${iso(d.at)}`}; ${d.detail}`];
}

function historyText(revs: Revision[]): string {
  return table(['REVISION', 'SERIAL', 'NOT AFTER', 'ISSUED', 'RULE', 'REPLACES'], revs.map((r) => [String(r.revision), r.serial, iso(r.notAfter), iso(r.createdAt), r.rule, r.replaces ?? '-']));
}

interface AddOptions extends Json {
  issuer: string; name: string[]; keyType?: string; reuseKey?: boolean; revisions?: string; renewWhenLeft?: string; validityDays?: string;
  hook?: string; challenge?: string; targets?: string;
  dnsServer?: string; dnsZone?: string; tsigKeyName?: string; tsigAlgorithm?: string; tsigSecretFile?: string;
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
function dnsServer(v: string): { server: string; port?: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  return m ? { server: m[1] as string, port: Number(m[2]) } : { server: v.replace(/^\[|\]$/g, '') };
}

/** The base64 secret of a file holding it alone, or of a BIND key statement (what tsig-keygen prints). */
function tsigSecret(path: string): string {
  const text = readText(path, 'TSIG secret file');
  return (/secret\s+"([^"]+)"/.exec(text)?.[1] ?? text).trim();
}

/** The RFC 2136 solver from the --dns-* and --tsig-* flags (the secret read from a file, never the command line). */
function rfc2136Input(o: AddOptions): Record<string, unknown> | undefined {
  if (o.dnsServer === undefined) return undefined;
  if (o.tsigKeyName === undefined || o.tsigSecretFile === undefined) throw new Error('--dns-server needs --tsig-key-name and --tsig-secret-file (the key the DNS server accepts updates with)');
  return {
    ...dnsServer(o.dnsServer), keyName: o.tsigKeyName, keySecret: tsigSecret(o.tsigSecretFile),
    ...(o.dnsZone === undefined ? {} : { zone: o.dnsZone }), ...(o.tsigAlgorithm === undefined ? {} : { keyAlgorithm: o.tsigAlgorithm }),
  };
}

function managedInput(name: string, o: AddOptions): Record<string, unknown> {
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const input: Record<string, unknown> = { name, issuer: o.issuer, names: o.name };
  if (o.keyType !== undefined) input.keyType = o.keyType;
  if (o.reuseKey === true) input.reuseKey = true;
  if (o.revisions !== undefined) input.revisionLimit = num(o.revisions);
  if (o.renewWhenLeft !== undefined) input.renewWhenLeft = num(o.renewWhenLeft);
  if (o.validityDays !== undefined) input.validityDays = num(o.validityDays);
  if (o.hook !== undefined) input.solver = { type: 'exec', challenge: o.challenge ?? 'http-01', command: o.hook };
  const rfc2136 = rfc2136Input(o);
  if (rfc2136 !== undefined) input.solver = { type: 'dns-01', rfc2136 };
  if (o.targets !== undefined) input.targets = JSON.parse(readText(o.targets, 'targets file')) as unknown;
  return input;
}

function registerManaged(program: Command): void {
  const managed = program.command('managed').description('certificates Certainty orders, renews and deploys');
  managed.command('add <name>').description('manage a certificate: ordered at once, then renewed').requiredOption('--issuer <issuer>', 'the issuer to order from')
    .requiredOption('--name <dns-or-ip>', 'a name on the certificate (repeatable)', collect, []).option('--key-type <type>', 'ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096')
    .option('--reuse-key', 'keep the key across renewals').option('--revisions <n>', 'revisions kept (default 5)')
    .option('--renew-when-left <fraction>', 'renew when this share of the lifetime is left (default 0.333)').option('--validity-days <n>', 'validity asked of a local issuer (default 90)')
    .option('--hook <command>', 'answer challenges with this command instead of serving http-01').option('--challenge <type>', 'the hook\'s challenge: http-01 or dns-01')
    .option('--dns-server <host[:port]>', 'answer dns-01 by RFC 2136 dynamic update at this DNS server (port 53 by default)').option('--dns-zone <zone>', 'the zone to update (default: found by SOA lookup)')
    .option('--tsig-key-name <name>', 'the TSIG key the server accepts updates with').option('--tsig-algorithm <alg>', 'hmac-sha256 (default), hmac-sha512 or hmac-sha1')
    .option('--tsig-secret-file <file>', 'file holding the base64 TSIG secret, or the key statement tsig-keygen prints')
    .option('--targets <file>', 'JSON list of deploy targets (docs/lifecycle-targets.md)').option('--json', 'print JSON')
    .action((name: string, o: AddOptions, cmd: Command) => withLifecycle(cmd, async (s) => {
      const m = await s.managed.add(managedInput(name, o));
      print(o.json === true, m, () => `Added managed certificate ${m.name}; ${m.status}`);
    }));
  managed.command('list').description('list managed certificates').option('--json', 'print JSON')
    .action((o: Json, cmd: Command) => withLifecycle(cmd, async (s) => {
      const rows = await s.managed.list();
      print(o.json === true, rows, () => table(['NAME', 'ISSUER', 'NAMES', 'REVISION', 'NEXT RENEWAL', 'STATUS'], rows.map((m) => [m.name, m.issuer, m.spec.names.join(','), String(m.currentRevision), iso(m.nextRenewalAt), m.status])));
    }));
  managed.command('show <name>').description('show one managed certificate and what happens next').option('--json', 'print JSON')
    .action((name: string, o: Json, cmd: Command) => withLifecycle(cmd, async (s) => {
      const m = await s.managed.show(name);
      print(o.json === true, m, () => managedText(m));
    }));
  managed.command('history <name>').description('list the revisions kept').option('--json', 'print JSON')
    .action((name: string, o: Json, cmd: Command) => withLifecycle(cmd, async (s) => {
      const revs = await s.managed.history(name);
      print(o.json === true, revs, () => historyText(revs));
    }));
  managed.command('renew <name>').description('renew now, whatever the rules say (audited)').requiredOption('--now', 'renew now').option('--json', 'print JSON')
    .action((name: string, o: Json, cmd: Command) => withLifecycle(cmd, async (s) => {
      const m = await s.managed.renewNow(name);
      print(o.json === true, m, () => `Renewal of ${name} queued; a serving node runs it`);
    }));
  managed.command('remove <name>').description('stop managing a certificate (its revisions are deleted)')
    .action((name: string, _o: unknown, cmd: Command) => withLifecycle(cmd, async (s) => {
      await s.managed.remove(name);
      process.stdout.write(`Removed managed certificate ${name}\n`);
    }));
}

/** The apply file's secret sources, read on this machine: its environment and its files. */
const localSources: SecretSources = { env: (name) => process.env[name], file: (path) => readFileSync(path, 'utf8') };

function registerApply(program: Command): void {
  program.command('apply').description('make issuers, managed certificates and probes match a YAML or JSON file (audited; all or nothing)')
    .requiredOption('-f, --file <file>', 'the file (docs/lifecycle.md, "Apply a file")').option('--dry-run', 'print what would change, change nothing')
    .option('--prune', 'also remove issuers, managed certificates and probes the file does not name').option('--json', 'print JSON')
    .action((o: Json & { file: string; dryRun?: boolean; prune?: boolean }, cmd: Command) => withLifecycle(cmd, async (s) => {
      const doc = resolveSources(parseApplyText(readText(o.file, 'apply file'), o.file), [], localSources);
      const bar = progress('apply');
      const result = await s.apply(doc, { dryRun: o.dryRun === true, prune: o.prune === true, onProgress: (object, done, total) => bar.update(object, done, total) })
        .finally(() => bar.end());
      print(o.json === true, result, () => result.lines.join('\n'));
    }));
}

export function registerLifecycleCommands(program: Command): void {
  registerIssuer(program);
  registerManaged(program);
  registerApply(program);
}
