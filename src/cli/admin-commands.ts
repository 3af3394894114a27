import type { Command } from 'commander';
import { caInfo } from '../ca/info.ts';
import type { AuditActor } from '../audit/log.ts';
import type { Config } from '../config/schema.ts';
import { adminServices, openCa, openCliAudit, type AdminServices, type CaContext } from '../context.ts';
import { configFrom, print, quietLogger } from './options.ts';
import { table } from '../table.ts';

type Json = { json?: boolean };

/**
 * Opens the existing CA (never creates one), runs `fn` with an audit actor for the operator, signs
 * whatever it recorded (even when it then failed: what committed must not stay unsigned), closes the database.
 */
export async function withCa<T>(cmd: Command, fn: (ctx: CaContext & { audit: AuditActor }, config: Config) => Promise<T>): Promise<T> {
  const config = configFrom(cmd);
  const ctx = await openCa(config, quietLogger(config), Date.now, false);
  const audit = openCliAudit(ctx.db, config.dataDir);
  try {
    return await fn({ ...ctx, audit }, config);
  } finally {
    await audit.seal(ctx.kek).finally(() => ctx.db.close());
  }
}

/** The operator services for this command, recording as the operator. */
export const admin = (ctx: Pick<CaContext, 'db' | 'kek'> & { audit: AuditActor }): AdminServices => adminServices({ ...ctx, now: Date.now });

function parseReason(text: string): number {
  const names: Record<string, number> = { unspecified: 0, keycompromise: 1, affiliationchanged: 3, superseded: 4, cessationofoperation: 5 };
  const n = /^\d+$/.test(text) ? Number(text) : names[text.toLowerCase()];
  if (n === undefined) throw new Error(`unknown reason "${text}"; use one of ${Object.keys(names).join(', ')} or its number`);
  return n;
}

function registerEab(program: Command): void {
  const eab = program.command('eab').description('External Account Binding keys');
  eab.command('create').description('create an EAB key (the HMAC key is shown once)').option('--label <text>', 'who the key is for', '').option('--json', 'print JSON')
    .action((opts: Json & { label: string }, cmd: Command) => withCa(cmd, async (ctx) => {
      const key = await admin(ctx).eab.create(opts.label);
      print(opts.json === true, key, () => `EAB key id:   ${key.kid}\nEAB HMAC key: ${key.hmacKey}\n(shown once; e.g. certbot --eab-kid ${key.kid} --eab-hmac-key <HMAC key>)`);
    }));
  eab.command('list').description('list EAB keys').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withCa(cmd, async (ctx) => {
      const keys = await admin(ctx).eab.list();
      print(opts.json === true, keys, () => table(['KID', 'LABEL', 'CREATED', 'ACCOUNT', 'REVOKED'], keys.map((k) => [k.kid, k.label, k.createdAt, k.accountId ?? '-', k.revoked ? 'yes' : 'no'])));
    }));
  eab.command('revoke <kid>').description('revoke an unused EAB key')
    .action((kid: string, _opts: unknown, cmd: Command) => withCa(cmd, async (ctx) => {
      if (!(await admin(ctx).eab.revoke(kid))) throw new Error(`no unrevoked EAB key ${kid}; see "certainty eab list"`);
      process.stdout.write(`Revoked EAB key ${kid}\n`);
    }));
}

function registerAccount(program: Command): void {
  const account = program.command('account').description('ACME accounts');
  account.command('list').description('list accounts').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withCa(cmd, async (ctx) => {
      const rows = await admin(ctx).service.listAccounts();
      print(opts.json === true, rows, () => table(['ID', 'STATUS', 'CONTACT', 'ORDERS', 'CERTS', 'CREATED'], rows.map((a) => [a.id, a.status, a.contact.join(','), String(a.orders), String(a.certificates), a.createdAt])));
    }));
  account.command('show <id>').description('show one account').option('--json', 'print JSON')
    .action((id: string, opts: Json, cmd: Command) => withCa(cmd, async (ctx) => {
      const a = await admin(ctx).service.showAccount(id);
      print(opts.json === true, a, () => Object.entries(a).map(([k, v]) => `${k.padEnd(14)} ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('\n'));
    }));
  account.command('deactivate <id>').description('deactivate an account (it can no longer order or revoke)')
    .action((id: string, _opts: unknown, cmd: Command) => withCa(cmd, async (ctx) => {
      await admin(ctx).service.deactivateAccount(id);
      process.stdout.write(`Deactivated account ${id}\n`);
    }));
}

function registerCert(program: Command): void {
  const cert = program.command('cert').description('issued certificates');
  cert.command('list').description('list certificates, newest first').option('--name <dns-or-ip>', 'only those naming this identifier')
    .option('--revoked', 'only revoked ones').option('--limit <n>', 'how many', '100').option('--json', 'print JSON')
    .action((opts: Json & { name?: string; revoked?: boolean; limit: string }, cmd: Command) => withCa(cmd, async (ctx) => {
      const rows = await admin(ctx).service.listCertificates({
        limit: Number(opts.limit), ...(opts.name === undefined ? {} : { name: opts.name }), ...(opts.revoked ? { revoked: true } : {}),
      });
      print(opts.json === true, rows, () => table(['SERIAL', 'NAMES', 'NOT AFTER', 'REVOKED'], rows.map((c) => [c.serial, c.names.join(','), c.notAfter, c.revokedAt ?? '-'])));
    }));
  cert.command('show <serial>').description('show one certificate').option('--pem', 'print only the PEM').option('--json', 'print JSON')
    .action((serial: string, opts: Json & { pem?: boolean }, cmd: Command) => withCa(cmd, async (ctx) => {
      const c = await admin(ctx).service.showCertificate(serial);
      if (opts.pem) process.stdout.write(c.pem);
      else print(opts.json === true, c, () => Object.entries(c).filter(([k]) => k !== 'pem').map(([k, v]) => `${k.padEnd(17)} ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('\n'));
    }));
  cert.command('revoke <serial>').description('revoke a certificate and regenerate the CRL').option('--reason <reason>', 'unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation', 'unspecified')
    .action((serial: string, opts: { reason: string }, cmd: Command) => withCa(cmd, async (ctx) => {
      const { crlError } = await admin(ctx).service.revokeCertificate(ctx.authority, serial, parseReason(opts.reason));
      process.stdout.write(`Revoked ${serial}\n`);
      if (crlError) process.stderr.write(`The CRL could not be updated from here (${crlError.message}); a running node publishes it from the queued crl job.\n`);
    }));
}

function registerCa(program: Command): void {
  const ca = program.command('ca').description('the certificate authority');
  ca.command('show').description('show the root and intermediate').option('--json', 'print JSON')
    .action((opts: Json, cmd: Command) => withCa(cmd, async ({ authority }, config) => {
      const info = caInfo(authority, config.ca.algorithm);
      print(opts.json === true, info, () => JSON.stringify(info, null, 2));
    }));
  ca.command('export').description('print the root certificate (PEM) to stdout').option('--chain', 'print the issuing chain (intermediate) instead')
    .action((opts: { chain?: boolean }, cmd: Command) => withCa(cmd, async ({ authority }) => {
      process.stdout.write(opts.chain ? authority.chainPem : authority.rootPem);
    }));
}

export function registerAdminCommands(program: Command): void {
  registerEab(program);
  registerAccount(program);
  registerCert(program);
  registerCa(program);
}
