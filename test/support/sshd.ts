import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { freePort } from './free-port.ts';
import { startDaemon, type Daemon } from './process.ts';
import { run, runUnchecked, type RunResult } from './run.ts';
import { waitFor } from './wait.ts';

/**
 * The local account the SSH tests log in as. Created once per machine (idempotent) and never
 * removed: other test runs reuse it. Its password field is `*` (no password, not "locked"), since
 * sshd without PAM refuses accounts whose password field starts with `!`.
 */
export const SSH_TEST_USER = 'certainty-ssh';

export async function ensureSshTestUser(name = SSH_TEST_USER): Promise<void> {
  const exists = (await runUnchecked('id', ['-u', name])).code === 0;
  if (!exists) await run('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  await run('usermod', ['-p', '*', name]);
}

export interface SshKeyFiles {
  privatePath: string;
  publicPath: string;
  /** The public key line. */
  publicKey: string;
}

/** A new key pair made by `ssh-keygen -t type [-b bits]`, without a passphrase. */
export async function sshKeyPair(dir: string, name: string, type: 'ed25519' | 'ecdsa' | 'rsa' | 'dsa', bits?: number): Promise<SshKeyFiles> {
  const privatePath = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, ...(bits === undefined ? [] : ['-b', String(bits)]), '-N', '', '-C', name, '-f', privatePath]);
  return { privatePath, publicPath: `${privatePath}.pub`, publicKey: (await readFile(`${privatePath}.pub`, 'utf8')).trim() };
}

/** A running sshd and the files it reads on every login (rewrite them to change what it trusts). */
export interface Sshd {
  port: number;
  userCaPath: string;
  krlPath: string;
  /** `principalsFor(user)` is the AuthorizedPrincipalsFile for that user. */
  principalsFor(user: string): string;
  daemon: Daemon;
  stop(): Promise<void>;
}

/** Its host key, made before the host certificate that `startSshd` then serves. */
export const sshdHostKey = (dir: string): Promise<SshKeyFiles> => sshKeyPair(dir, 'ssh_host_ed25519_key', 'ed25519');

function sshdConfig(dir: string, hostKey: SshKeyFiles): string {
  return [
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey.privatePath}`,
    `HostCertificate ${hostKey.privatePath}-cert.pub`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `TrustedUserCAKeys ${join(dir, 'user_ca.pub')}`,
    `RevokedKeys ${join(dir, 'revoked.krl')}`,
    `AuthorizedPrincipalsFile ${join(dir, 'principals', '%u')}`,
    'AuthorizedKeysFile none',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    'UsePAM no',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

async function portOpen(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(undefined));
  });
}

/**
 * Starts Debian's sshd on 127.0.0.1 and a free port, as root, with its own config in `dir`
 * (`hostCertificate` is the host key's certificate line). It trusts the user CA keys in
 * `userCaPath`, refuses what the KRL at `krlPath` revokes, and maps users to principals through
 * `principalsFor(user)`.
 */
export async function startSshd(dir: string, hostKey: SshKeyFiles, hostCertificate: string): Promise<Sshd> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  // sshd reads AuthorizedPrincipalsFile as the logging-in user: the temp dir must be traversable.
  await chmod(dir, 0o711);
  await mkdir(join(dir, 'principals'), { recursive: true, mode: 0o755 });
  await writeFile(`${hostKey.privatePath}-cert.pub`, `${hostCertificate}\n`);
  await writeFile(join(dir, 'user_ca.pub'), '');
  await writeFile(join(dir, 'revoked.krl'), '');
  const configPath = join(dir, 'sshd_config');
  await writeFile(configPath, sshdConfig(dir, hostKey));
  await run('/usr/sbin/sshd', ['-t', '-f', configPath]);
  const port = await freePort();
  const daemon = await startDaemon('/usr/sbin/sshd', ['-D', '-e', '-f', configPath, '-p', String(port)], { logPath: join(dir, 'sshd.log') });
  await waitFor(() => portOpen(port), { what: 'sshd listening', timeoutMs: 10_000, abortIf: () => (daemon.isRunning() ? undefined : 'sshd exited') });
  return {
    port, daemon, userCaPath: join(dir, 'user_ca.pub'), krlPath: join(dir, 'revoked.krl'),
    principalsFor: (user) => join(dir, 'principals', user),
    stop: async () => void (await daemon.stop({ timeoutMs: 5_000 })),
  };
}

export interface SshLogin {
  port: number;
  user: string;
  identity: string;
  certificate: string;
  knownHostsPath: string;
  /** The name the host certificate must carry (checked against its principals). */
  hostAlias: string;
  command: string;
}

/** One non-interactive login with a certificate, host trusted only through `@cert-authority` (StrictHostKeyChecking=yes). */
export function sshLogin(o: SshLogin): Promise<RunResult> {
  return runUnchecked('ssh', [
    '-F', '/dev/null', '-i', o.identity, '-o', `CertificateFile=${o.certificate}`, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${o.knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', `HostKeyAlias=${o.hostAlias}`, '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5', '-p', String(o.port), `${o.user}@127.0.0.1`, o.command,
  ], { timeoutMs: 20_000 });
}
