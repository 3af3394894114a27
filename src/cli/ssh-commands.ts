import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AuditActor } from '../audit/log.ts';
import { publicBaseUrl } from '../config/urls.ts';
import { sshService } from '../context.ts';
import { parseDuration } from '../duration.ts';
import type { SshCertKind } from '../ssh/certificate.ts';
import type { SshService } from '../ssh/service.ts';
import { isSshCaAlgorithm, SSH_CA_ALGORITHMS } from '../ssh/signer.ts';
import type { SshRequester } from '../ssh/types.ts';
import { table } from '../table.ts';
import type { Config } from '../config/schema.ts';
import { withCa } from './admin-commands.ts';
import { print, readText } from './options.ts';
import { registerSshRenew } from './ssh-renew-command.ts';

type Json = { json?: boolean };

/** Opens the database and KEK (never creating them), runs `fn` with the SSH service recording as the operator, seals the audit, closes. */
function withSsh<T>(cmd: Command, fn: (ssh: SshService, audit: AuditActor, config: Config) => Promise<T>): Promise<T> {
  return withCa(cmd, (ctx, config) => fn(sshService({ db: ctx.db, kek: ctx.kek, audit: ctx.audit, now: Date.now }), ctx.audit, config));
}

const operator = (audit: AuditActor): SshRequester => ({ tokenId: 'cli', tokenName: audit.actor.replace(/^cli:/, ''), admin: true, actor: audit.actor });

function kindOption(v: string): SshCertKind {
  if (v !== 'user' && v !== 'host') throw new Error(`--kind must be user or host, not "${v}"`);
  return v;
}

const collect = (v: string, prev: string[]): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter((s) => s !== '')];

function registerCa(ssh: Command): void {
  const ca = ssh.command('ca').description('SSH user and host CAs');
  ca.command('create').description('create a CA: the first of its kind signs at once, a later one waits as standby until "ssh ca rotate"')
    .requiredOption('--kind <kind>', 'user or host', kindOption).option('--algorithm <alg>', SSH_CA_ALGORITHMS.join(', '), 'ed25519').option('--json', 'print JSON')
    .action((opts: Json & { kind: SshCertKind; algorithm: string }, cmd: Command) => withSsh(cmd, async (s, audit) => {
      if (!isSshCaAlgorithm(opts.algorithm)) throw new Error(`--algorithm must be one of ${SSH_CA_ALGORITHMS.join(', ')}`);
      const created = await s.createCa(opts.kind, opts.algorithm, audit.actor);
      print(opts.json === true, created, () => `Created ${created.kind} CA ${created.id} (${created.algorithm}, ${created.status})\n${created.publicKey}`);
    }));
  ca.command('list').description('list CAs and their rotation status').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withSsh(cmd, async (s) => {
      const cas = await s.listCas();
      print(opts.json === true, cas, () => table(['ID', 'KIND', 'ALGORITHM', 'STATUS', 'CREATED'], cas.map((c) => [c.id, c.kind, c.algorithm, c.status, new Date(c.createdAt).toISOString()])));
    }));
  ca.command('rotate').description('sign with the standby CA from now on; the old one stays trusted (retiring)').requiredOption('--kind <kind>', 'user or host', kindOption)
    .action((opts: { kind: SshCertKind }, cmd: Command) => withSsh(cmd, async (s, audit) => {
      const r = await s.rotateCa(opts.kind, audit.actor);
      process.stdout.write(`${opts.kind} CA ${r.active.id} now signs${r.retiring ? `; ${r.retiring.id} is retiring (still trusted; retire it with "certainty ssh ca retire ${r.retiring.id}")` : ''}\n`);
    }));
  ca.command('retire <id>').description('stop trusting a CA that no longer signs')
    .action((id: string, _opts: unknown, cmd: Command) => withSsh(cmd, async (s, audit) => {
      await s.retireCa(id, audit.actor);
      process.stdout.write(`Retired SSH CA ${id}: refresh the trust lines ("certainty ssh config") on servers and clients\n`);
    }));
}

interface RoleOpts {
  spec?: string; kind?: string; principals: string[]; allowedDomains: string[]; extensions?: string[]; allowedExtensions?: string[]; forceCommand?: string;
  sourceAddress?: string; allowOption: string[]; keyTypes?: string[]; minRsaBits?: string; ttl?: string; maxTtl?: string; backdate?: string; keyIdTemplate?: string; token: string[];
}

/** A role spec from `--spec FILE` (JSON), with each flag given replacing its field. */
function roleSpecOf(o: RoleOpts): Record<string, unknown> {
  const base = o.spec === undefined ? {} : JSON.parse(readText(o.spec, 'role spec')) as Record<string, unknown>;
  const options = { ...(o.forceCommand === undefined ? {} : { 'force-command': o.forceCommand }), ...(o.sourceAddress === undefined ? {} : { 'source-address': o.sourceAddress }) };
  const set = (k: string, v: unknown, when: boolean): Record<string, unknown> => (when ? { [k]: v } : {});
  return {
    ...base, ...set('kind', o.kind, o.kind !== undefined), ...set('principals', o.principals, o.principals.length > 0),
    ...set('allowedDomains', o.allowedDomains, o.allowedDomains.length > 0), ...set('defaultExtensions', o.extensions, o.extensions !== undefined),
    ...set('allowedExtensions', o.allowedExtensions, o.allowedExtensions !== undefined), ...set('criticalOptions', options, Object.keys(options).length > 0),
    ...set('allowedCriticalOptions', o.allowOption, o.allowOption.length > 0), ...set('keyTypes', o.keyTypes, o.keyTypes !== undefined),
    ...set('minRsaBits', Number(o.minRsaBits), o.minRsaBits !== undefined), ...set('ttl', o.ttl, o.ttl !== undefined), ...set('maxTtl', o.maxTtl, o.maxTtl !== undefined),
    ...set('backdate', o.backdate, o.backdate !== undefined), ...set('keyIdTemplate', o.keyIdTemplate, o.keyIdTemplate !== undefined), ...set('tokens', o.token, o.token.length > 0),
  };
}

function registerRole(ssh: Command): void {
  const role = ssh.command('role').description('SSH roles: who may sign what');
  role.command('put <name>').description('create or replace a role (flags replace the fields of --spec)')
    .option('--spec <file>', 'the role as JSON (docs/ssh.md)').option('--kind <kind>', 'user or host')
    .option('--principals <list>', 'allowed principals; {{token.name}} and {{token.id}} are templates', collect, []).option('--allowed-domains <list>', 'host roles: allowed host domains', collect, [])
    .option('--extensions <list>', 'default extensions', collect).option('--allowed-extensions <list>', 'extensions a request may ask for', collect)
    .option('--force-command <cmd>', 'force-command on every certificate').option('--source-address <cidrs>', 'source-address on every certificate')
    .option('--allow-option <name>', 'a critical option requests may set (repeatable)', collect, []).option('--key-types <list>', 'ed25519, ecdsa, rsa', collect)
    .option('--min-rsa-bits <n>', 'smallest RSA key accepted (default 3072)').option('--ttl <d>', 'default lifetime').option('--max-ttl <d>', 'longest lifetime')
    .option('--backdate <d>', 'how far before now certificates start').option('--key-id-template <t>', 'key id; {{role}} {{token.name}} {{token.id}} {{principal}} {{serial}}')
    .option('--token <id>', 'a machine token id that may sign with the role (repeatable)', collect, []).option('--json', 'print JSON')
    .action((name: string, opts: RoleOpts & Json, cmd: Command) => withSsh(cmd, async (s, audit) => {
      const r = await s.putRole(name, roleSpecOf(opts), audit.actor);
      print(opts.json === true, r, () => `Saved ${r.kind} role ${r.name}`);
    }));
  role.command('list').description('list roles').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withSsh(cmd, async (s) => {
      const roles = await s.roles();
      print(opts.json === true, roles, () => table(['NAME', 'KIND', 'PRINCIPALS', 'TTL', 'MAX TTL', 'TOKENS'], roles.map((r) => [
        r.name, r.kind, [...r.principals, ...r.allowedDomains.map((d) => `*.${d}`)].join(','), `${r.ttlMs / 1000}s`, `${r.maxTtlMs / 1000}s`, r.tokens.join(',') || '-',
      ])));
    }));
  role.command('show <name>').description('show a role as JSON')
    .action((name: string, _opts: unknown, cmd: Command) => withSsh(cmd, async (s) => print(true, await s.role(name), () => '')));
  role.command('delete <name>').description('delete a role')
    .action((name: string, _opts: unknown, cmd: Command) => withSsh(cmd, async (s, audit) => {
      await s.deleteRole(name, audit.actor);
      process.stdout.write(`Deleted SSH role ${name}\n`);
    }));
}

interface SignOpts extends Json { role: string; publicKey: string; principal: string[]; ttl?: string; extension?: string[]; forceCommand?: string; sourceAddress?: string; out?: string }

function registerSign(ssh: Command): void {
  ssh.command('sign').description('sign a public key with a role; prints the certificate line (or writes --out)')
    .requiredOption('--role <name>', 'the SSH role').requiredOption('--public-key <file>', 'the .pub file')
    .option('--principal <name>', 'principal (repeatable; default the role\'s)', collect, []).option('--ttl <d>', 'lifetime, at most the role\'s maximum')
    .option('--extension <name>', 'extension instead of the role\'s defaults (repeatable)', collect).option('--force-command <cmd>', 'if the role allows it')
    .option('--source-address <cidrs>', 'if the role allows it').option('--out <file>', 'write the certificate here (e.g. id_ed25519-cert.pub)').option('--json', 'print JSON')
    .action((opts: SignOpts, cmd: Command) => withSsh(cmd, async (s, audit) => {
      const options = { ...(opts.forceCommand === undefined ? {} : { 'force-command': opts.forceCommand }), ...(opts.sourceAddress === undefined ? {} : { 'source-address': opts.sourceAddress }) };
      const signed = await s.sign({
        role: opts.role, publicKey: readText(opts.publicKey, 'public key'), ...(opts.principal.length > 0 ? { principals: opts.principal } : {}),
        ...(opts.ttl === undefined ? {} : { ttlMs: parseDuration(opts.ttl) }), ...(opts.extension === undefined ? {} : { extensions: opts.extension }),
        ...(Object.keys(options).length > 0 ? { criticalOptions: options } : {}),
      }, operator(audit));
      if (opts.out !== undefined) writeFileSync(opts.out, `${signed.certificate}\n`);
      print(opts.json === true, signed, () => (opts.out === undefined ? signed.certificate : `Wrote ${opts.out} (serial ${signed.serial}, key id ${signed.keyId}, until ${new Date(signed.validBefore).toISOString()})`));
    }));
}

function registerRevocation(ssh: Command): void {
  ssh.command('revoke').description('revoke by serial, key id or public key; the KRL at /ssh/krl follows')
    .option('--serial <n>', 'a certificate serial').option('--key-id <id>', 'every certificate with this key id').option('--public-key <file>', 'a public key and every certificate for it')
    .option('--reason <text>', 'why, for the audit log').option('--json', 'print JSON')
    .action((opts: Json & { serial?: string; keyId?: string; publicKey?: string; reason?: string }, cmd: Command) => withSsh(cmd, async (s, audit) => {
      const r = await s.revoke({
        ...(opts.serial === undefined ? {} : { serial: opts.serial }), ...(opts.keyId === undefined ? {} : { keyId: opts.keyId }),
        ...(opts.publicKey === undefined ? {} : { publicKey: readText(opts.publicKey, 'public key') }), ...(opts.reason === undefined ? {} : { reason: opts.reason }),
      }, audit.actor);
      print(opts.json === true, r, () => (r.created ? `Revoked ${r.target} ${r.target === 'public-key' ? '' : r.value}`.trimEnd() : `Already revoked: ${r.target}`));
    }));
  ssh.command('krl').description('write the current KRL (binary) to --out, or to stdout').option('--out <file>', 'e.g. /etc/ssh/certainty.krl')
    .action((opts: { out?: string }, cmd: Command) => withSsh(cmd, async (s) => {
      const krl = await s.krl();
      if (opts.out === undefined) process.stdout.write(krl.krl);
      else writeFileSync(opts.out, krl.krl);
    }));
}

function registerSetup(ssh: Command): void {
  ssh.command('config').description('print the sshd_config lines and the known_hosts @cert-authority lines')
    .option('--hosts <pattern>', 'the known_hosts host pattern the host CA is trusted for', '*')
    .action((opts: { hosts: string }, cmd: Command) => withSsh(cmd, async (s, _audit, config) => {
      process.stdout.write(await s.configText(publicBaseUrl(config), opts.hosts));
    }));
  ssh.command('explain <certificate>').description('would sshd accept this certificate (this installation\'s CAs and revocations), and if not, why?')
    .option('--principal <name>', 'the user (or host name) it is used for').option('--at <time>', 'ISO 8601 time instead of now').option('--json', 'print JSON')
    .action((file: string, opts: Json & { principal?: string; at?: string }, cmd: Command) => withSsh(cmd, async (s) => {
      const at = opts.at === undefined ? undefined : Date.parse(opts.at);
      if (at !== undefined && Number.isNaN(at)) throw new Error(`--at must be an ISO 8601 time, not "${opts.at}"`);
      const out = await s.explain(readText(file, 'certificate'), { ...(opts.principal === undefined ? {} : { principal: opts.principal }), ...(at === undefined ? {} : { at }) });
      print(opts.json === true, out, () => `${out.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.check.padEnd(20)} ${c.detail}`).join('\n')}\n${out.accepted ? 'sshd would accept it' : 'sshd would refuse it'}`);
      if (!out.accepted) process.exitCode = 1;
    }));
}

export function registerSshCommands(program: Command): void {
  const ssh = program.command('ssh').description('SSH certificate authority: CAs, roles, signing, revocation, client setup');
  registerCa(ssh);
  registerRole(ssh);
  registerSign(ssh);
  registerRevocation(ssh);
  registerSetup(ssh);
  registerSshRenew(ssh);
}
