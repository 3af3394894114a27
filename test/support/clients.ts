import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { extractPemBlock } from './x509.ts';

const DNS_HOOK = fileURLToPath(new URL('./dns-hook.mjs', import.meta.url));
const EMAIL = 'ops@example.test';

/** Where a client finds the ACME server, the test DNS and the ports the server validates on. */
export interface ClientContext {
  readonly directoryUrl: string;
  /** CA the client must trust for the directory's HTTPS. */
  readonly serverCaPemPath: string;
  /** Management API of the test DNS (`TestDns.managementUrl`), used by the dns-01 hooks. */
  readonly dnsManagementUrl: string;
  /** Resolver the client uses to check dns-01 propagation (`TestDns.dnsAddress`). */
  readonly dnsAddress: string;
  readonly http01Port: number;
  readonly tlsAlpn01Port: number;
  /** Limit for one client command; default 120 s. */
  readonly timeoutMs?: number;
}

/** Files of an issued certificate. */
export interface IssuedCert {
  /** Leaf only. */
  readonly certPath: string;
  /** Intermediate(s), without the leaf. */
  readonly chainPath: string;
  /** Leaf followed by the intermediate(s). */
  readonly fullchainPath: string;
  readonly keyPath: string;
}

/** Writes an executable `sh` wrapper around dns-hook.mjs (lego's EXEC_PATH must be a file). */
async function writeHookScript(path: string, ctx: ClientContext, mode: string): Promise<string> {
  const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const script = `#!/bin/sh\nTEST_DNS_URL=${q(ctx.dnsManagementUrl)} exec ${q(process.execPath)} ${q(DNS_HOOK)} ${mode} "$@"\n`;
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}

type CertbotChallenge = 'http-01' | 'dns-01';
type CertbotRevocationReason = 'unspecified' | 'keycompromise' | 'affiliationchanged' | 'superseded' | 'cessationofoperation';

/** certbot with its own config/work/logs directories (and so its own account). */
export interface CertbotClient {
  readonly dir: string;
  /** `certbot certonly`; the lineage is named `certName` (default: first name without `*.`). */
  certonly(names: readonly string[], options?: { challenge?: CertbotChallenge; certName?: string }): Promise<IssuedCert>;
  /** `certbot renew --force-renewal` of one lineage, with the settings it was issued with. */
  renew(certName: string): Promise<IssuedCert>;
  /** `certbot revoke` signed with the account key; the files are kept. */
  revoke(certPath: string, reason?: CertbotRevocationReason): Promise<void>;
  dispose(): Promise<void>;
}

export async function createCertbot(ctx: ClientContext): Promise<CertbotClient> {
  const dir = await makeTempDir('certbot');
  const authHook = await writeHookScript(join(dir, 'auth-hook.sh'), ctx, 'certbot-auth');
  const cleanupHook = await writeHookScript(join(dir, 'cleanup-hook.sh'), ctx, 'certbot-cleanup');
  const common = [
    '--non-interactive',
    '--server', ctx.directoryUrl,
    '--config-dir', join(dir, 'config'),
    '--work-dir', join(dir, 'work'),
    '--logs-dir', join(dir, 'logs'),
  ];
  const certbot = (args: readonly string[]): Promise<unknown> =>
    run('certbot', [...args, ...common], {
      // certbot (python-requests) trusts exactly this bundle for the ACME server.
      env: { REQUESTS_CA_BUNDLE: ctx.serverCaPemPath },
      timeoutMs: ctx.timeoutMs ?? 120_000,
    });
  const lineage = (certName: string): IssuedCert => {
    const live = join(dir, 'config', 'live', certName);
    return {
      certPath: join(live, 'cert.pem'),
      chainPath: join(live, 'chain.pem'),
      fullchainPath: join(live, 'fullchain.pem'),
      keyPath: join(live, 'privkey.pem'),
    };
  };
  return {
    dir,
    async certonly(names, { challenge = 'http-01', certName = (names[0] ?? '').replace(/^\*\./, '') } = {}) {
      const solver =
        challenge === 'http-01'
          ? ['--standalone', '--preferred-challenges', 'http', '--http-01-port', String(ctx.http01Port), '--http-01-address', '127.0.0.1']
          : ['--manual', '--preferred-challenges', 'dns', '--manual-auth-hook', authHook, '--manual-cleanup-hook', cleanupHook];
      const domains = names.flatMap((name) => ['-d', name]);
      await certbot(['certonly', '--agree-tos', '-m', EMAIL, '--no-eff-email', '--cert-name', certName, ...solver, ...domains]);
      return lineage(certName);
    },
    async renew(certName) {
      // Without --no-random-sleep-on-renew a non-interactive renew sleeps up to 8 minutes first.
      await certbot(['renew', '--cert-name', certName, '--force-renewal', '--no-random-sleep-on-renew']);
      return lineage(certName);
    },
    async revoke(certPath, reason = 'keycompromise') {
      await certbot(['revoke', '--cert-path', certPath, '--reason', reason, '--no-delete-after-revoke']);
    },
    dispose: () => removeDir(dir),
  };
}

type LegoChallenge = 'http-01' | 'tls-alpn-01' | 'dns-01';

/** lego with its own `--path` (and so its own account). */
export interface LegoClient {
  readonly dir: string;
  /** `lego run` for `names` (DNS names or IP addresses). */
  run(names: readonly string[], options?: { challenge?: LegoChallenge }): Promise<IssuedCert>;
  /**
   * `lego renew --days <days>`: lego has no force flag, it renews when fewer than `days` days
   * are left, so the default (100000) always renews (Pebble issues for 5 years).
   */
  renew(names: readonly string[], options?: { challenge?: LegoChallenge; days?: number }): Promise<IssuedCert>;
  /** `lego revoke --reason <RFC 5280 code>` (default 1, keyCompromise), keeping the files. */
  revoke(names: readonly string[], options?: { reason?: number }): Promise<void>;
  dispose(): Promise<void>;
}

export async function createLego(ctx: ClientContext): Promise<LegoClient> {
  const dir = await makeTempDir('lego');
  const legoPath = join(dir, 'lego');
  const outDir = join(dir, 'out');
  await mkdir(outDir);
  const execHook = await writeHookScript(join(dir, 'exec-hook.sh'), ctx, '');
  const solverFlags = (challenge: LegoChallenge): string[] => {
    switch (challenge) {
      case 'http-01':
        return ['--http', '--http.port', `127.0.0.1:${ctx.http01Port}`];
      case 'tls-alpn-01':
        return ['--tls', '--tls.port', `127.0.0.1:${ctx.tlsAlpn01Port}`];
      case 'dns-01':
        // Resolvers: check propagation against the test DNS. disable-cp: skip the lookup of
        // authoritative servers, which the mock DNS has none of.
        return ['--dns', 'exec', '--dns.resolvers', ctx.dnsAddress, '--dns.disable-cp'];
    }
  };
  const lego = (names: readonly string[], challenge: LegoChallenge | undefined, command: readonly string[]): Promise<unknown> =>
    run(
      'lego',
      [
        '--accept-tos', '--email', EMAIL, '--server', ctx.directoryUrl, '--path', legoPath, '--http-timeout', '30',
        ...(challenge === undefined ? [] : solverFlags(challenge)),
        ...names.flatMap((name) => ['-d', name]),
        ...command,
      ],
      {
        env: {
          LEGO_CA_CERTIFICATES: ctx.serverCaPemPath,
          EXEC_PATH: execHook,
          EXEC_PROPAGATION_TIMEOUT: '30',
          EXEC_POLLING_INTERVAL: '1',
          // The exec provider solves one authorization at a time and waits 60 s in between by default.
          EXEC_SEQUENCE_INTERVAL: '1',
        },
        timeoutMs: ctx.timeoutMs ?? 120_000,
      },
    );
  const files = async (names: readonly string[]): Promise<IssuedCert> => {
    // lego names the files after the first identifier, with `*` replaced by `_`.
    const base = join(legoPath, 'certificates', (names[0] ?? '').replaceAll('*', '_'));
    const fullchainPath = `${base}.crt`;
    const certPath = await extractPemBlock(fullchainPath, 0, join(outDir, `${(names[0] ?? '').replaceAll('*', '_')}.leaf.pem`));
    return { certPath, chainPath: `${base}.issuer.crt`, fullchainPath, keyPath: `${base}.key` };
  };
  return {
    dir,
    async run(names, { challenge = 'http-01' } = {}) {
      await lego(names, challenge, ['run']);
      return files(names);
    },
    async renew(names, { challenge = 'http-01', days = 100_000 } = {}) {
      // --no-random-sleep: otherwise a non-interactive renew first sleeps for up to 8 minutes.
      await lego(names, challenge, ['renew', '--days', String(days), '--no-random-sleep']);
      return files(names);
    },
    async revoke(names, { reason = 1 } = {}) {
      await lego(names, undefined, ['revoke', '--reason', String(reason), '--keep']);
    },
    dispose: () => removeDir(dir),
  };
}
