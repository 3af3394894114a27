import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AuditActor } from '../audit/log.ts';
import { humanDuration, parseDuration } from '../duration.ts';
import { deleteVersions, removeSecret, undeleteVersions } from '../secrets/delete.ts';
import { destroyVersions } from '../secrets/destroy.ts';
import { envFile } from '../secrets/env.ts';
import { generateSecret, parseGenerator } from '../secrets/generate.ts';
import { listSecrets } from '../secrets/list.ts';
import { readMetadata, updateMetadata } from '../secrets/metadata.ts';
import { patchSecret } from '../secrets/patch.ts';
import { readSecret } from '../secrets/read.ts';
import { rotateSecret } from '../secrets/rotate.ts';
import type { SecretCaller, SecretData, SecretVersion } from '../secrets/types.ts';
import { writeSecret } from '../secrets/write.ts';
import { table } from '../table.ts';
import { print } from './options.ts';
import { registerPolicyCommands } from './policy-commands.ts';
import { withSecrets } from './secrets-context.ts';

type Json = { json?: boolean };

const operator = (audit: AuditActor): SecretCaller => ({ actor: audit.actor, tokenId: undefined, admin: true });

/** `field=value` pairs; `field=@file` reads a file, `field=-` reads standard input (both exactly, newlines kept). */
function fieldsOf(pairs: readonly string[]): SecretData {
  const data: SecretData = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`expected field=value, field=@file or field=- (got "${pair.slice(0, 40)}")`);
    const field = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    data[field] = raw === '-' ? readFileSync(0, 'utf8') : raw.startsWith('@') ? readFileSync(raw.slice(1), 'utf8') : raw;
  }
  return data;
}

function wholeOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${flag} must be a whole number (got "${text}")`);
  return Number(text);
}

function versionsOption(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+(,\d+)*$/.test(text)) throw new Error(`--versions takes version numbers separated by commas, e.g. 3 or 1,2 (got "${text}")`);
  return text.split(',').map(Number);
}

/** Prints a revealed version as a deploy script wants it: the raw value, JSON, or an env file. */
function printVersion(v: SecretVersion, opts: { format: string; field?: string; prefix: string; json?: boolean }): void {
  const format = opts.json === true ? 'json' : opts.format;
  if (format === 'json') return print(true, v, () => '');
  if (format === 'env') {
    process.stdout.write(envFile(opts.field === undefined ? v.data : { [opts.field]: fieldOf(v, opts.field) }, opts.prefix));
    return;
  }
  if (format !== 'raw') throw new Error(`--format must be raw, json or env (got "${format}")`);
  const fields = Object.keys(v.data);
  const field = opts.field ?? (fields.length === 1 ? fields[0] : undefined);
  if (field === undefined) throw new Error(`${v.path} has the fields ${fields.join(', ')}: choose one with --field, or use --format env or --json`);
  // Exactly the value, no newline added: `$(certainty secret get …)` and files get what was stored.
  process.stdout.write(fieldOf(v, field));
}

function fieldOf(v: SecretVersion, field: string): string {
  const value = v.data[field];
  if (value === undefined) throw new Error(`${v.path} version ${v.version} has no field "${field}" (it has ${Object.keys(v.data).join(', ')})`);
  return value;
}

const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

function registerReadWrite(secret: Command): void {
  secret.command('put <path> <field=value...>').description('write a new version (field=@file and field=- read a file or stdin)')
    .option('--cas <version>', 'only if the current version is this one (0: only if the path is new)').option('--json', 'print JSON')
    .action((path: string, pairs: string[], opts: Json & { cas?: string }, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const v = await writeSecret(deps, operator(audit), path, fieldsOf(pairs), { cas: wholeOption(opts.cas, '--cas') });
      print(opts.json === true, v, () => `Wrote ${v.path} version ${v.version}`);
    }));
  secret.command('get <path>').description('reveal a version (recorded in the audit log)')
    .option('--at <version>', 'a version other than the current one (--version is the program\'s)').option('--field <name>', 'only this field')
    .option('--format <format>', 'raw (the value alone), json, or env (NAME=\'value\' lines to source)', 'raw')
    .option('--prefix <text>', 'with --format env: put this before each variable name', '').option('--reason <text>', 'why (recorded; required where the path says so)')
    .option('--json', 'print JSON (same as --format json)')
    .action((path: string, opts: Json & { at?: string; field?: string; format: string; prefix: string; reason?: string }, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const v = await readSecret(deps, operator(audit), path, { version: wholeOption(opts.at, '--at'), reason: opts.reason });
      printVersion(v, opts);
    }));
  secret.command('patch <path> [field=value...]').description('a new version: the current one with these fields set (or removed with --remove)')
    .option('--remove <field...>', 'remove these fields').option('--cas <version>', 'only if the current version is this one').option('--json', 'print JSON')
    .action((path: string, pairs: string[], opts: Json & { remove?: string[]; cas?: string }, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const changes: Record<string, string | null> = { ...fieldsOf(pairs), ...Object.fromEntries((opts.remove ?? []).map((f) => [f, null])) };
      const v = await patchSecret(deps, operator(audit), path, changes, { cas: wholeOption(opts.cas, '--cas') });
      print(opts.json === true, v, () => `Wrote ${v.path} version ${v.version}`);
    }));
  secret.command('generate <path>').description('generate a value on the server as a new version (not printed; read it with "secret get")')
    .option('--field <name>', 'the field to generate', 'value').option('--length <n>', 'characters', '32')
    .option('--charset <name>', 'shell-safe, alphanumeric, hex or printable', 'shell-safe').option('--rotate-every <duration>', 'rotate on this schedule, e.g. 30d')
    .option('--cas <version>', 'only if the current version is this one').option('--json', 'print JSON')
    .action((path: string, opts: Json & { field: string; length: string; charset: string; rotateEvery?: string; cas?: string }, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const generator = parseGenerator({ field: opts.field, length: wholeOption(opts.length, '--length'), charset: opts.charset });
      const rotateEveryMs = opts.rotateEvery === undefined ? undefined : parseDuration(opts.rotateEvery);
      const v = await generateSecret(deps, operator(audit), path, generator, { cas: wholeOption(opts.cas, '--cas'), rotateEveryMs });
      print(opts.json === true, v, () => `Generated ${v.path} version ${v.version} (${generator.length} ${generator.charset} characters in "${generator.field}")`);
    }));
  secret.command('rotate <path>').description('generate the next value of a generated secret now').option('--json', 'print JSON')
    .action((path: string, opts: Json, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const v = await rotateSecret(deps, operator(audit), path);
      print(opts.json === true, v, () => `Rotated ${v.path} to version ${v.version}`);
    }));
}

function registerMetadata(secret: Command): void {
  secret.command('list [prefix]').description('paths under a prefix, recursively (never values)').option('--json', 'print JSON')
    .action((prefix: string | undefined, opts: Json, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const rows = await listSecrets(deps, operator(audit), prefix ?? '');
      print(opts.json === true, rows, () => table(['PATH', 'VERSION', 'UPDATED'], rows.map((r) => [r.path, String(r.currentVersion), when(r.updatedAt)])));
    }));
  secret.command('history <path>').description('settings and versions of a path (never values)').option('--json', 'print JSON')
    .action((path: string, opts: Json, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const m = await readMetadata(deps, operator(audit), path);
      print(opts.json === true, m, () => [
        `${m.path}: current version ${m.currentVersion}, keeps ${m.maxVersions}${m.casRequired ? ', cas required' : ''}${m.deleteVersionAfterMs > 0 ? `, versions deleted after ${humanDuration(m.deleteVersionAfterMs)}` : ''}`
          + `${m.revealReasonRequired ? ', reveal needs a reason' : ''}${m.honeytoken ? ', honeytoken' : ''}${m.generator ? `, generated (${m.generator.charset}, ${m.generator.length})` : ''}`
          + `${m.nextRotationAt === null ? '' : `, next rotation ${when(m.nextRotationAt)}`}`,
        table(['VERSION', 'CREATED', 'BY', 'STATE'], m.versions.map((v) => [String(v.version), when(v.createdAt), v.createdBy, v.destroyed ? 'destroyed' : v.deletedAt !== null ? 'deleted' : 'live'])),
      ].join('\n'));
    }));
  secret.command('meta <path>').description('change a path\'s settings')
    .option('--max-versions <n>', 'versions kept').option('--cas-required <bool>', 'writes must give --cas (true/false)')
    .option('--delete-after <duration>', 'delete versions this old, e.g. 90d (0: never)').option('--reason-required <bool>', 'reveals must give a reason (true/false)')
    .option('--honeytoken <bool>', 'a decoy: revealing it raises an alert (true/false)').option('--rotate-every <duration>', 'rotation period of a generated secret (0: none)')
    .option('--custom <key=value...>', 'custom metadata (replaces it)').option('--json', 'print JSON')
    .action((path: string, opts: Json & Record<string, string | string[] | undefined>, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const m = await updateMetadata(deps, operator(audit), path, settingsOf(opts));
      print(opts.json === true, m, () => `Updated the settings of ${m.path}`);
    }));
}

function settingsOf(opts: Record<string, string | string[] | boolean | undefined>): Record<string, unknown> {
  const bool = (v: unknown, flag: string): boolean => {
    if (v !== 'true' && v !== 'false') throw new Error(`${flag} takes true or false`);
    return v === 'true';
  };
  const ms = (v: string): number => (v === '0' ? 0 : parseDuration(v));
  const out: Record<string, unknown> = {};
  if (typeof opts.maxVersions === 'string') out.maxVersions = wholeOption(opts.maxVersions, '--max-versions');
  if (opts.casRequired !== undefined) out.casRequired = bool(opts.casRequired, '--cas-required');
  if (typeof opts.deleteAfter === 'string') out.deleteVersionAfterMs = ms(opts.deleteAfter);
  if (opts.reasonRequired !== undefined) out.revealReasonRequired = bool(opts.reasonRequired, '--reason-required');
  if (opts.honeytoken !== undefined) out.honeytoken = bool(opts.honeytoken, '--honeytoken');
  if (typeof opts.rotateEvery === 'string') out.rotateEveryMs = ms(opts.rotateEvery);
  if (Array.isArray(opts.custom)) out.customMetadata = Object.fromEntries(opts.custom.map((p) => [p.slice(0, Math.max(0, p.indexOf('='))), p.slice(p.indexOf('=') + 1)]));
  return out;
}

function registerLifecycle(secret: Command): void {
  secret.command('delete <path>').description('soft-delete versions (default: the current one); --all removes the path with every version')
    .option('--versions <list>', 'e.g. 1,2').option('--all', 'remove the path, its versions and settings for good')
    .action((path: string, opts: { versions?: string; all?: boolean }, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      if (opts.all === true) {
        await removeSecret(deps, operator(audit), path);
        process.stdout.write(`Removed ${path} with every version\n`);
        return;
      }
      const n = await deleteVersions(deps, operator(audit), path, versionsOption(opts.versions));
      process.stdout.write(`Deleted ${n} version(s) of ${path}\n`);
    }));
  secret.command('undelete <path>').description('undo a soft delete').requiredOption('--versions <list>', 'e.g. 1,2')
    .action((path: string, opts: { versions: string }, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const n = await undeleteVersions(deps, operator(audit), path, versionsOption(opts.versions));
      process.stdout.write(`Undeleted ${n} version(s) of ${path}\n`);
    }));
  secret.command('destroy <path>').description('destroy versions for good (their ciphertext and data key are deleted)').requiredOption('--versions <list>', 'e.g. 1,2')
    .action((path: string, opts: { versions: string }, cmd: Command) => withSecrets(cmd, async (deps, audit) => {
      const n = await destroyVersions(deps, operator(audit), path, versionsOption(opts.versions));
      process.stdout.write(`Destroyed ${n} version(s) of ${path}\n`);
    }));
}

/** `certainty secret …` and `certainty policy …` (policies and machine tokens: src/cli/policy-commands.ts). */
export function registerSecretCommands(program: Command): void {
  const secret = program.command('secret').description('the secrets store: versioned, encrypted, audited');
  registerReadWrite(secret);
  registerMetadata(secret);
  registerLifecycle(secret);
  registerPolicyCommands(program, secret);
}
