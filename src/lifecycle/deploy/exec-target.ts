/**
 * The exec target: a command run after each new revision, with the names and paths in its
 * environment, as certbot's deploy hooks get them (`RENEWED_LINEAGE`, `RENEWED_DOMAINS`).
 */
import { plannedFiles, writeFilesAtomically } from './files.ts';
import { baseEnv, runCommand } from './run-command.ts';
import { stampMatches, stampPathFor, writeStamp } from './stamp.ts';
import type { CertificateMaterial, DeployOutcome, ExecTarget, FileSet } from './types.ts';

const DEFAULT_TIMEOUT_MS = 60_000;

/** The command's environment: the target's own variables, then Certainty's (which win). */
export function execEnv(spec: Pick<ExecTarget, 'env' | 'files'>, material: CertificateMaterial): Record<string, string> {
  const env: Record<string, string> = {
    ...baseEnv(),
    ...spec.env,
    CERTAINTY_NAME: material.name,
    CERTAINTY_NAMES: material.names.join(' '),
    CERTAINTY_SERIAL: material.serial,
    CERTAINTY_FINGERPRINT256: material.fingerprint256,
    CERTAINTY_NOT_AFTER: new Date(material.notAfter).toISOString(),
  };
  const files: FileSet = spec.files ?? {};
  const paths: Array<[string, string | undefined]> = [
    ['CERTAINTY_CERT_PATH', files.certPath],
    ['CERTAINTY_CHAIN_PATH', files.chainPath],
    ['CERTAINTY_FULLCHAIN_PATH', files.fullchainPath],
    ['CERTAINTY_KEY_PATH', files.keyPath],
  ];
  for (const [name, path] of paths) if (path !== undefined) env[name] = path;
  return env;
}

/**
 * Writes the files (if any), then runs the command. With files, the command runs when they
 * changed or when it has not yet succeeded for this revision (a stamp beside the first file);
 * without files there is nothing to compare, and it runs on every deploy.
 */
export async function deployExec(spec: ExecTarget, material: CertificateMaterial): Promise<DeployOutcome> {
  const files = spec.files === undefined ? [] : await plannedFiles(spec.files, material);
  const written = await writeFilesAtomically(files);
  const stamp = files[0] === undefined ? undefined : stampPathFor(files[0].path);
  if (stamp !== undefined && written.length === 0 && (await stampMatches(stamp, material.fingerprint256))) {
    return { changed: false, detail: `${spec.command} already ran for this certificate` };
  }
  const what = `deploy hook for ${material.name}`;
  await runCommand(spec.command, spec.args ?? [], execEnv(spec, material), spec.timeoutMs ?? DEFAULT_TIMEOUT_MS, what);
  if (stamp !== undefined) await writeStamp(stamp, material.fingerprint256);
  return { changed: true, detail: `${written.length === 0 ? '' : `wrote ${written.join(', ')}; `}ran ${spec.command}` };
}
