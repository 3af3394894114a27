/**
 * The nginx target: write the files, then have nginx reload (SIGHUP to the master named by its
 * pid file, or a reload command such as `nginx -s reload`). nginx re-reads certificates only on
 * reload; the master keeps serving with the old configuration if the new one fails to load, so
 * with a verify endpoint the deploy waits until the new certificate is actually served.
 */
import { readFile } from 'node:fs/promises';
import { AppError } from '../../errors.ts';
import { plannedFiles, writeFilesAtomically } from './files.ts';
import { baseEnv, runCommand } from './run-command.ts';
import { stampMatches, stampPathFor, writeStamp } from './stamp.ts';
import type { CertificateMaterial, DeployOutcome, NginxTarget } from './types.ts';
import { verifyServed } from './verify.ts';

const DEFAULT_TIMEOUT_MS = 30_000;

export async function deployNginx(spec: NginxTarget, material: CertificateMaterial): Promise<DeployOutcome> {
  const files = await plannedFiles(spec, material);
  const written = await writeFilesAtomically(files);
  const stamp = stampPathFor((files[0] as { path: string }).path);
  if (written.length === 0 && (await stampMatches(stamp, material.fingerprint256))) {
    return { changed: false, detail: `nginx already has the files of ${material.name}` };
  }
  await reload(spec, material.name);
  if (spec.verify !== undefined) {
    const v = spec.verify;
    const outcome = await verifyServed(v, material.fingerprint256, { attempts: v.attempts ?? 10, delayMs: v.delayMs ?? 200 });
    if (!outcome.verified) {
      throw new AppError('deployFailed', `nginx reloaded but ${outcome.detail}; check nginx's error log (a configuration error keeps the old certificate)`);
    }
  }
  await writeStamp(stamp, material.fingerprint256);
  return { changed: true, detail: `${written.length === 0 ? '' : `wrote ${written.join(', ')}; `}reloaded nginx${spec.verify === undefined ? '' : ', which serves the new certificate'}` };
}

async function reload(spec: NginxTarget, name: string): Promise<void> {
  const what = `nginx reload for ${name}`;
  if (spec.reloadCommand !== undefined) {
    const [command = '', ...args] = spec.reloadCommand;
    await runCommand(command, args, baseEnv(), spec.timeoutMs ?? DEFAULT_TIMEOUT_MS, what);
    return;
  }
  const pidFile = spec.pidFile as string;
  const text = await readFile(pidFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new AppError('deployFailed', `${what}: cannot read the pid file ${pidFile} (${err.code ?? err.message}): is nginx running, and is that its \`pid\` directive?`);
  });
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new AppError('deployFailed', `${what}: ${pidFile} holds no process id`);
  try {
    process.kill(pid, 'SIGHUP');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const fix = code === 'ESRCH' ? 'no such process: nginx is not running (a stale pid file)' : code === 'EPERM' ? 'not permitted: run Certainty as the user nginx runs as, or use reloadCommand with sudo' : String(code);
    throw new AppError('deployFailed', `${what}: cannot signal process ${pid} from ${pidFile}: ${fix}`, { cause: err });
  }
}
