// `npm run bench:ssh -- [--seconds S] [--keygen N]`: SSH certificate signatures per second on one
// core, for each CA algorithm (src/ssh/certificate.ts on node:crypto: encoding, nonce, signature),
// beside OpenSSH's `ssh-keygen -s` signing N keys in one run as the reference. The signing loop is
// synchronous on this process's one thread, so the figure is per core; wall clock on a shared
// machine: compare figures from one run.
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCertificate } from '../src/ssh/certificate.ts';
import { parsePublicKeyLine } from '../src/ssh/keys.ts';
import { generateCaKey, loadSigner, SSH_CA_ALGORITHMS, type SshCaAlgorithm } from '../src/ssh/signer.ts';
import { makeTempDir, removeDir } from '../test/support/tmp.ts';

const USAGE = 'usage: npm run bench:ssh -- [--seconds S (per algorithm, default 2)] [--keygen N (keys ssh-keygen signs, default 200)]';

function options(): { seconds: number; keygen: number } {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, keygen: { type: 'string', default: '200' }, help: { type: 'boolean' } } });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const seconds = Number(values.seconds);
  const keygen = Number(values.keygen);
  if (!(seconds > 0 && seconds <= 60) || !Number.isInteger(keygen) || keygen < 1 || keygen > 5000) throw new Error(USAGE);
  return { seconds, keygen };
}

/** Certificates signed by one CA in `seconds` of one thread. */
function ours(algorithm: SshCaAlgorithm, userKeyLine: string, seconds: number): number {
  const ca = loadSigner(algorithm, generateCaKey(algorithm).privatePem);
  const key = parsePublicKeyLine(userKeyLine);
  const base = { kind: 'user' as const, key, keyId: 'bench', principals: ['alice'], validAfter: 0n, validBefore: 2n ** 40n, criticalOptions: {}, extensions: ['permit-pty'] };
  const end = performance.now() + seconds * 1000;
  let n = 0;
  for (let serial = 1n; performance.now() < end; serial++, n++) encodeCertificate({ ...base, serial }, ca);
  return n / seconds;
}

/** `ssh-keygen -s` signing `count` copies of the user key in one process, per second (process start included). */
function keygen(dir: string, algorithm: SshCaAlgorithm, userPub: string, count: number): number {
  const caPath = join(dir, `ca-${algorithm}`);
  // ssh-keygen makes its own CA key of the same algorithm (OpenSSH 9.2 does not load a PKCS#8 Ed25519 key).
  const [type, bits] = algorithm === 'ed25519' ? ['ed25519'] : algorithm.startsWith('ecdsa-') ? ['ecdsa', algorithm.slice(7)] : ['rsa', algorithm.slice(4)];
  execFileSync('ssh-keygen', ['-q', '-t', type as string, ...(bits === undefined ? [] : ['-b', bits]), '-N', '', '-f', caPath]);
  const keys = Array.from({ length: count }, (_, i) => {
    const p = join(dir, `user-${i}.pub`);
    copyFileSync(userPub, p);
    return p;
  });
  const rsa = algorithm.startsWith('rsa') ? ['-t', 'rsa-sha2-512'] : [];
  const start = performance.now();
  execFileSync('ssh-keygen', ['-q', '-s', caPath, ...rsa, '-I', 'bench', '-n', 'alice', '-V', '+1h', ...keys], { stdio: 'ignore' });
  return count / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const o = options();
  const dir = await makeTempDir('certainty-bench-ssh');
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'user')]);
    const userPub = join(dir, 'user.pub');
    const userLine = execFileSync('cat', [userPub]).toString();
    process.stdout.write(`SSH certificate signatures per second, one core (${o.seconds} s per CA algorithm; ssh-keygen -s signing ${o.keygen} keys in one run)\n\n`);
    process.stdout.write(`${'CA algorithm'.padEnd(14)}${'certainty/s'.padStart(14)}${'ssh-keygen/s'.padStart(14)}\n`);
    for (const algorithm of SSH_CA_ALGORITHMS) {
      const mine = ours(algorithm, userLine, o.seconds);
      const theirs = keygen(dir, algorithm, userPub, o.keygen);
      process.stdout.write(`${algorithm.padEnd(14)}${mine.toFixed(0).padStart(14)}${theirs.toFixed(0).padStart(14)}\n`);
    }
  } finally {
    await removeDir(dir);
  }
}

await main();
