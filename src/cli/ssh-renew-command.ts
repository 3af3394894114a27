import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { httpRequest } from '../http-client.ts';
import { RENEW_NAMESPACE, renewMessage } from '../ssh/renew.ts';

interface RenewOpts {
  server: string;
  certificate: string;
  key: string;
  cacert?: string;
  out?: string;
}

/** The host's SSHSIG over the renewal message, made by `ssh-keygen -Y sign` with the host key (whatever its type or format). */
function signRenewal(key: string, message: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'certainty-renew-'));
  try {
    const file = join(dir, 'renewal');
    writeFileSync(file, message);
    execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', key, '-n', RENEW_NAMESPACE, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(`${file}.sig`, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `certainty ssh renew`: run on a host (from a timer) with no token and no database. It proves
 * possession of the host key by signing its current certificate and the time, and replaces the
 * certificate file with the renewed one (atomically: sshd never reads half a file).
 */
export function registerSshRenew(ssh: Command): void {
  ssh.command('renew').description('renew this host\'s certificate by proof of possession of its key (no token needed)')
    .requiredOption('--server <url>', 'Certainty\'s base URL, e.g. https://ca.example:8443').requiredOption('--certificate <file>', 'the current host certificate')
    .requiredOption('--key <file>', 'the host private key, e.g. /etc/ssh/ssh_host_ed25519_key').option('--cacert <file>', 'trust anchor for the server (its root.pem)')
    .option('--out <file>', 'where to write the new certificate (default: replace --certificate)')
    .action(async (opts: RenewOpts) => {
      const certificate = readFileSync(opts.certificate, 'utf8').trim();
      const timestamp = new Date().toISOString();
      const signature = signRenewal(opts.key, renewMessage(timestamp, certificate));
      const res = await httpRequest(new URL('/ssh/renew', opts.server), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ certificate, timestamp, signature }),
        ...(opts.cacert === undefined ? {} : { ca: readFileSync(opts.cacert) }),
      });
      const body = JSON.parse(res.body.toString('utf8') || '{}') as { certificate?: string; serial?: string; validBefore?: number; detail?: string };
      if (res.status !== 201 || body.certificate === undefined) throw new Error(`renewal refused (${res.status}): ${body.detail ?? res.body.toString('utf8').slice(0, 300)}`);
      const out = opts.out ?? opts.certificate;
      writeFileSync(`${out}.tmp`, `${body.certificate}\n`);
      renameSync(`${out}.tmp`, out);
      process.stdout.write(`Renewed: ${out} (serial ${body.serial ?? '?'}, until ${new Date(body.validBefore ?? 0).toISOString()})\n`);
    });
}
